-- What each lease's holder last saw of its account (state, since, credits, slots, in flight), written with
-- every heartbeat: /admin on any instance shows the accounts other instances drive.
ALTER TABLE "account_leases" ADD COLUMN "report" jsonb;