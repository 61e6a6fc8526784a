-- SESSION_STORE=postgres: each Pixverse account's signed-in browser session, sealed with SESSION_KEY, so that an
-- instance taking an account's lease over goes on with it instead of signing in again (src/sidecar/session-sync.ts).
CREATE TABLE "account_sessions" (
	"key" text PRIMARY KEY NOT NULL,
	"sealed" "bytea" NOT NULL,
	"saved_at" timestamp (3) with time zone NOT NULL
);
