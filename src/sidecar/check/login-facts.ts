// Facts of the login page (looked at in a fresh, signed-out context: nothing is clicked there, so the
// service's session is never ended by it) and of signing in (the account's own context, which reuses the
// service's saved session when it still works).
import type { Locator, Page } from "playwright-core";
import { isVisibleWithin, looksEnglish, newEnglishContext, pageLanguage } from "../browser.ts";
import { LoginPage } from "../pages.ts";
import { LABELS, LOGIN_PATH, SELECTORS, TOKEN_COOKIES } from "../pixverse.ts";
import { fail, pass, type Fact, type Verdict } from "./runner.ts";
import { modalsSeenAndClosed, quote, signedInPage, visibleNames, type CheckContext, type Modals } from "./context.ts";

type CheckFact = Fact<CheckContext>;

const ON_LOGIN_PAGE = ["login.page"] as const;

export function loginPageFacts(): CheckFact[] {
  return [
    {
      id: "login.page",
      name: "login page reachable",
      timeoutMs: 45_000,
      async run(ctx, ms) {
        const context = await newEnglishContext(ctx.browser, { timezone: ctx.config.BROWSER_TIMEZONE });
        ctx.cleanup.push(() => context.close());
        ctx.loginContext = context;
        const page = await context.newPage();
        const form = new LoginPage(page, ctx.webUrl);
        const url = new URL(LOGIN_PATH, ctx.webUrl).href;
        await form.open(ms - 5_000);
        if (!form.isShown()) return fail(`${url} led to ${new URL(page.url()).pathname}`);
        ctx.login = form;
        return pass(`${url} opened (a fresh signed-out context; nothing is clicked there)`);
      },
    },
    {
      id: "login.english",
      name: "English",
      needs: ON_LOGIN_PAGE,
      timeoutMs: 10_000,
      async run(ctx) {
        const seen = await pageLanguage(ctx.login!.page);
        const what = `html lang=${seen.htmlLang}, navigator.language=${seen.navigatorLanguage}`;
        return looksEnglish(seen) ? pass(what) : fail(`${what}: the automation relies on the English labels`);
      },
    },
    modalsFact("login.modals", "modals on the login page", ON_LOGIN_PAGE, "loginModals", (ctx) => ctx.login!),
    {
      id: "login.username",
      name: "username input",
      needs: ON_LOGIN_PAGE,
      timeoutMs: 15_000,
      async run(ctx, ms) {
        const form = ctx.login!;
        const verdict = await inputVerdict(form.page, form.username, LABELS.username, SELECTORS.usernameId, ms - 2_000);
        if (verdict.status === "PASS") ctx.hints.loginInputs = verdict.saw.replace(/^matched by /, "");
        return verdict;
      },
    },
    {
      id: "login.password",
      name: "password input",
      needs: ON_LOGIN_PAGE,
      timeoutMs: 15_000,
      async run(ctx, ms) {
        const form = ctx.login!;
        return inputVerdict(form.page, form.password, LABELS.password, SELECTORS.passwordId, ms - 2_000);
      },
    },
    {
      id: "login.button",
      name: "Login button",
      needs: ON_LOGIN_PAGE,
      timeoutMs: 15_000,
      async run(ctx, ms) {
        const form = ctx.login!;
        if (await isVisibleWithin(form.loginButton, ms - 3_000)) return pass(`button "${LABELS.login}" (not clicked)`);
        const buttons = await visibleNames(form.page.getByRole("button"), 10);
        return fail(`no visible button named exactly "${LABELS.login}"; visible buttons: ${buttons.map((b) => quote(b, 30)).join(", ") || "none"}`);
      },
    },
    {
      id: "login.humanCheck",
      name: "human check",
      needs: ON_LOGIN_PAGE,
      timeoutMs: 10_000,
      async run(ctx) {
        const shown = await ctx.login!.humanCheckShown(2_000);
        ctx.hints.humanCheck = shown ? "shown on load" : "none on load";
        return shown
          ? pass(`shown on load ("${LABELS.humanCheck}" or a challenge frame): a login through this page waits for a person (HEADLESS=false)`)
          : pass("none shown on load (one that appears only after Login is not tried here: that would sign in)");
      },
    },
  ];
}

export function sessionFacts(signInMs: number): CheckFact[] {
  return [
    {
      id: "session.signIn",
      name: "sign-in",
      timeoutMs: signInMs + 5_000,
      async run(ctx) {
        await ctx.account.start();
        const signedIn = await ctx.account.waitUntilSignedIn(signInMs);
        const s = ctx.account.status();
        if (!signedIn) return fail(`account ${s.state}${s.detail ? `: ${s.detail}` : ""}`);
        ctx.hints.signIn = s.detail ?? s.state;
        return pass(`${s.detail ?? s.state}; capacity ${s.capacity}`);
      },
    },
    {
      id: "session.token",
      name: "token cookie",
      needs: ["session.signIn"],
      timeoutMs: 15_000,
      async run(ctx) {
        const page = await signedInPage(ctx);
        const cookies = await page.context().cookies([ctx.webUrl, ctx.apiUrl]);
        // Whatever the token is, it must never reach the table or the report.
        for (const c of cookies) if ((TOKEN_COOKIES as readonly string[]).includes(c.name) && c.value) ctx.secrets.add(c.value);
        for (const name of TOKEN_COOKIES) {
          const cookie = cookies.find((c) => c.name === name && c.value !== "");
          if (cookie) return pass(`${name} on ${cookie.domain} (value not shown)`);
        }
        const names = [...new Set(cookies.map((c) => c.name))];
        return fail(`no ${TOKEN_COOKIES.join(" or ")} cookie; cookie names set: ${names.join(", ") || "none"}`);
      },
    },
  ];
}

/** The modals a page shows, closed by the page object's own `closeModals` (the hint names them for the report). */
export function modalsFact(
  id: string,
  name: string,
  needs: readonly string[],
  hint: string,
  pageOf: (ctx: CheckContext) => { page: Page; closeModals(timeoutMs: number): Promise<number> },
): CheckFact {
  return {
    id,
    name,
    needs,
    timeoutMs: 20_000,
    async run(ctx, ms) {
      const target = pageOf(ctx);
      const modals = await modalsSeenAndClosed(target.page, (t) => target.closeModals(t), ms);
      ctx.hints[hint] = modals.seen.length === 0 ? "none" : `${modals.seen.length} (${modals.seen.map((s) => quote(s, 40)).join(", ")})`;
      return modalVerdict(modals);
    },
  };
}

function modalVerdict(modals: Modals): Verdict {
  if (modals.seen.length === 0) return pass("none shown");
  const seen = `${modals.seen.length} shown (${modals.seen.map((s) => quote(s, 40)).join(", ")})`;
  if (modals.left.length > 0) {
    const why = modals.error ? `closing failed: ${modals.error}` : `no ${SELECTORS.modalClose} or Close button found in it`;
    return fail(`${seen}; ${modals.closed} closed, still open: ${modals.left.map((s) => quote(s, 40)).join(", ")} (${why})`);
  }
  return pass(`${seen}, closed by ${SELECTORS.modalClose}`);
}

/** An input found by the page object's locator, and which of its rules (placeholder, label, id) matched. */
async function inputVerdict(page: Page, input: Locator, label: string, idSelector: string, waitMs: number): Promise<Verdict> {
  if (!(await isVisibleWithin(input, waitMs))) {
    return fail(`no visible input with placeholder or label "${label}" or id ${idSelector}; visible inputs: ${(await describeInputs(page)) || "none"}`);
  }
  const el = await input.evaluate((node) => {
    const i = node as HTMLInputElement;
    return {
      placeholder: i.getAttribute("placeholder") ?? "",
      id: i.id,
      labels: [i.getAttribute("aria-label") ?? "", ...Array.from(i.labels ?? []).map((l) => (l.textContent ?? "").trim())],
    };
  });
  const ways: string[] = [];
  if (el.placeholder === label) ways.push(`placeholder "${label}"`);
  if (el.labels.some((t) => t.toLowerCase().includes(label.toLowerCase()))) ways.push(`label "${label}"`);
  if (el.id && `#${el.id}` === idSelector) ways.push(`id ${idSelector}`);
  return pass(`matched by ${ways.join(" and ") || "the locator (none of placeholder, label, id read back)"}`);
}

async function describeInputs(page: Page): Promise<string> {
  const inputs = await page
    .locator("input:not([type=hidden]), textarea")
    .filter({ visible: true })
    .evaluateAll((nodes) =>
      nodes.slice(0, 8).map((n) => {
        const i = n as HTMLInputElement;
        const bits = [i.tagName === "TEXTAREA" ? "textarea" : i.type || "text"];
        if (i.id) bits.push(`#${i.id}`);
        const placeholder = i.getAttribute("placeholder");
        if (placeholder) bits.push(`placeholder "${placeholder}"`);
        return bits.join(" ");
      }),
    );
  return inputs.join(", ");
}
