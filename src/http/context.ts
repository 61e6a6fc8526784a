// The typed variables of a request's scope (src/http/request-scope.ts).
export type AppEnv = {
  Variables: {
    requestId: string;
    /** performance.now() when the request's scope opened (for its log line). */
    startedAt: number;
  };
};
