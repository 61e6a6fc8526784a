// Generation settings for tests: the defaults a fresh configuration gives.
import { loadConfig } from "../../src/config.ts";
import type { GenerationSettings } from "../../src/domain/settings.ts";

export const TEST_SETTINGS: GenerationSettings = loadConfig({}).generation;
