// Hono's typed environment for our routes. The request scope (src/http/request-scope.ts) keeps a request's id
// in its Reply, not in context variables, so there are none.
export type AppEnv = {
  Variables: Record<string, never>;
};
