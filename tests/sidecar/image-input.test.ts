// Which file input gets the image (src/sidecar/pages.ts imageInput): the visible image slot's, else the first
// one that takes images, never a video input that comes first on the page.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { CreationPage } from "../../src/sidecar/pages.ts";
import { CHROMIUM, requireChromium } from "./helpers.ts";

let browser: Browser;
beforeAll(async () => {
  requireChromium();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser.close();
});

async function inputChosenOn(html: string, budgetMs = 500): Promise<string | null> {
  const page = await browser.newPage();
  try {
    await page.setContent(html);
    const input = await new CreationPage(page, "http://127.0.0.1", "/creation/video").imageInput(budgetMs);
    return await input.getAttribute("id");
  } finally {
    await page.close();
  }
}

test("without a visible image slot, the image goes to the first input that takes images, not to a video input before it", async () => {
  const html = `<input type="file" id="video" accept="video/mp4,video/quicktime"><input type="file" id="image" accept="image/png,image/jpeg,image/webp">`;
  expect(await inputChosenOn(html)).toBe("image");
});

test("the visible image slot's own input wins over any other", async () => {
  const html =
    `<input type="file" id="loose" accept="image/png">` +
    `<div class="ant-upload-drag"><span class="ant-upload"><input type="file" id="slot" accept="image/png"></span>Drop an image</div>`;
  // Time enough for a loaded machine to report the slot visible (0.5 s was missed in a CI run); a page that
  // has it answers at once, so this costs nothing when it passes.
  expect(await inputChosenOn(html, 5_000)).toBe("slot");
});

test("a page whose inputs say nothing of their types gets the first input, as before", async () => {
  expect(await inputChosenOn(`<input type="file" id="first"><input type="file" id="second">`)).toBe("first");
});
