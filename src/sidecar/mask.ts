// Account e-mails as they may appear in readiness, logs of the service side and metrics.

/** `someone@example.com` → `s***@example.com`: accounts are named without being exposed. */
export function maskEmail(email: string): string {
  const at = email.indexOf("@");
  return at > 0 ? `${email[0]}***${email.slice(at)}` : "***";
}
