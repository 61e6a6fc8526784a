-- The instances alive now and the accounts each is configured with (written with each lease heartbeat), so
-- that the Pixverse accounts are shared out among the instances that could drive them.
CREATE TABLE "instances" (
	"id" text PRIMARY KEY NOT NULL,
	"accounts" text[] NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
