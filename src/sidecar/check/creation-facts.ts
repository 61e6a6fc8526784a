// Facts of the creation page, opened at the configured path (PIXVERSE_CREATE_PATH) in the signed-in
// context, on a page of its own. Nothing is clicked that would create a video: only the promo modals'
// close buttons, and on a page with mode tabs (2025 layout) the image tab and back.
import { isVisibleWithin } from "../browser.ts";
import { CreationPage } from "../pages.ts";
import { LABELS, LOGIN_PATH, SELECTORS } from "../pixverse.ts";
import { fail, pass, unknown, type Fact } from "./runner.ts";
import { accessibleName, quote, signedInPage, visibleNames, type CheckContext } from "./context.ts";
import { modalsFact } from "./login-facts.ts";

type CheckFact = Fact<CheckContext>;

const ON_CREATION_PAGE = ["create.page"] as const;

export function creationFacts(): CheckFact[] {
  return [
    {
      id: "create.page",
      name: "creation page",
      needs: ["session.signIn"],
      timeoutMs: 45_000,
      async run(ctx, ms) {
        const page = await signedInPage(ctx);
        const create = new CreationPage(page, ctx.webUrl, ctx.createPath);
        await create.open(ms - 5_000);
        if (create.redirectedToLogin()) return fail(`${ctx.createPath} sent the signed-in browser to ${LOGIN_PATH}`);
        ctx.creation = create;
        const at = new URL(page.url()).pathname;
        ctx.hints.creationPath = at;
        if (!create.isShown()) return pass(`${ctx.createPath} opened and went on to ${at} (PIXVERSE_CREATE_PATH=${at} saves the redirect)`);
        return pass(`${new URL(ctx.createPath, ctx.webUrl).href} opened`);
      },
    },
    modalsFact("create.modals", "modals on the creation page", ON_CREATION_PAGE, "creationModals", (ctx) => ctx.creation!),
    {
      id: "create.prompt",
      name: "prompt box",
      needs: ON_CREATION_PAGE,
      timeoutMs: 20_000,
      async run(ctx, ms) {
        const create = ctx.creation!;
        const all = create.page.getByPlaceholder(LABELS.promptPlaceholder, { exact: true });
        if (!(await isVisibleWithin(create.prompt, Math.min(10_000, ms - 5_000)))) {
          const textareas = await create.page
            .locator("textarea")
            .evaluateAll((nodes) => nodes.slice(0, 6).map((n) => JSON.stringify(n.getAttribute("placeholder") ?? "")));
          return fail(
            `no visible box with placeholder "${LABELS.promptPlaceholder}" (${await all.count()} with it, none visible); ` +
              `textarea placeholders: ${textareas.join(", ") || "no textarea"}`,
          );
        }
        const total = await all.count();
        const visible = await all.filter({ visible: true }).count();
        return pass(`placeholder "${LABELS.promptPlaceholder}"; ${total} prompt box${total === 1 ? "" : "es"} on the page, ${visible} visible`);
      },
    },
    {
      id: "create.image",
      name: "image input",
      needs: ON_CREATION_PAGE,
      timeoutMs: 20_000,
      async run(ctx, ms) {
        const create = ctx.creation!;
        const files = create.page.locator('input[type="file"]');
        // The page object's own choice (it waits for the upload area, else opens the image tab) …
        const input = await create.imageInput(ms / 2);
        // … and what it was based on.
        const area = await create.uploadArea.isVisible();
        const tabs = (await create.tab("i2v").count()) > 0;
        if (!area && !tabs) {
          return fail(
            `no visible ${SELECTORS.uploadArea} and no "${LABELS.imageTab}" tab; ${await files.count()} file input(s) on the page ` +
              "(the service would take the first, which may be the wrong slot)",
          );
        }
        const found = (await input.count()) > 0;
        const accept = found ? await input.getAttribute("accept") : null;
        const count = await files.count();
        // Leave the page in text mode, as the next submission expects it.
        if (tabs && !area) await create.chooseModeIfTabbed("t2v", ms / 4);
        const where = area ? `in the visible ${SELECTORS.uploadArea}` : `behind the "${LABELS.imageTab}" tab`;
        ctx.hints.imageSlot = area ? "upload area" : "mode tab";
        if (!found) return fail(`no input[type=file] ${where}; ${count} file input(s) on the page`);
        return pass(`input[type=file] ${where}${accept ? ` (accept ${accept})` : ""}; ${count} file input${count === 1 ? "" : "s"} on the page`);
      },
    },
    switchFact("create.audio", LABELS.audio, (ctx) => ctx.config.generation.audio, "audio"),
    switchFact("create.multiShot", LABELS.multiShot, (ctx) => ctx.config.generation.multiShot, "multi_shot"),
    {
      id: "create.button",
      name: "Create button",
      needs: ON_CREATION_PAGE,
      timeoutMs: 20_000,
      async run(ctx, ms) {
        const create = ctx.creation!;
        if (!(await isVisibleWithin(create.createButton, Math.min(5_000, ms - 5_000)))) {
          const buttons = await visibleNames(create.page.getByRole("button"), 10);
          return fail(`no visible button whose name starts with "${LABELS.create}"; visible buttons: ${buttons.map((b) => quote(b, 30)).join(", ") || "none"}`);
        }
        const name = await accessibleName(create.createButton);
        const enabled = await create.createButton.isEnabled();
        ctx.hints.createButton = name;
        return pass(`button ${quote(name)}${enabled ? "" : " (disabled now)"}; not clicked`);
      },
    },
  ];
}

/**
 * A switch (`Audio`, `Multi-Shot`): present with its state; missing while other switches show is a FAIL
 * (renamed); no switch at all is UNKNOWN (the 2025 layout has none, and the page-api path does not need it).
 */
function switchFact(id: string, label: string, wanted: (ctx: CheckContext) => boolean, bodyField: string): CheckFact {
  return {
    id,
    name: `${label} switch`,
    needs: ON_CREATION_PAGE,
    timeoutMs: 15_000,
    async run(ctx) {
      const create = ctx.creation!;
      const control = create.switch(label);
      const want = wanted(ctx) ? "on" : "off";
      // The page has rendered by now (the prompt box fact waited for it): a short look is enough.
      if (await isVisibleWithin(control, 1_000)) {
        const state = (await control.getAttribute("aria-checked")) === "true" ? "on" : "off";
        ctx.hints.switches = [ctx.hints.switches, label].filter(Boolean).join(", ");
        const action = state === want ? "" : ctx.submitMode === "ui" ? " (the ui path switches it)" : ` (the page-api path sends ${bodyField}: ${want === "on"})`;
        return pass(`role=switch "${label}" is ${state}; configured ${want}${action}; not clicked`);
      }
      const others = await visibleNames(create.page.getByRole("switch"));
      if (others.length > 0) return fail(`no switch named "${label}"; switches seen: ${others.map((s) => quote(s, 30)).join(", ")}`);
      ctx.hints.switches ??= "none";
      return unknown(`no switches on this page (the 2025 layout has none); the page-api path sends ${bodyField}, the ui path skips the switch`);
    },
  };
}
