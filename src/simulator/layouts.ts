// The two page layouts the simulator renders (docs/SIMULATOR.md "Two page layouts"): the 2026 one that
// public 2026 material describes, and the 2025 one the first reading of Pixverse gave. The JSON API is the
// same under both; only the pages differ.
export const UI_LAYOUTS = ["2026", "2025"] as const;
export type Ui = (typeof UI_LAYOUTS)[number];
export const DEFAULT_UI: Ui = "2026";
