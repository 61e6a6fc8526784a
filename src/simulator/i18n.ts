// The pages' words in English and Russian. The Russian labels the spec quotes (`Вход`, `Создать`,
// `Опишите контент, который хотите создать`) are what a Russian-locale browser saw on the real site.
// Keys are also what `POST /__sim/labels` overrides on the 2026 pages.
export const LANGS = ["en", "ru"] as const;
export type Lang = (typeof LANGS)[number];

const en = {
  title: "Pixverse simulator",
  banner: "Local Pixverse simulator — not the real site",
  onboardTitle: "Welcome",
  onboardText: "Sign in to start creating videos.",
  login: "Login",
  loginTitle: "Sign in",
  username: "Email or Username",
  password: "Password",
  verifyHuman: "Verify you are human",
  humanHint: "Please verify you are human to continue.",
  homeTitle: "Home",
  signedInAs: "Signed in as",
  create: "Create",
  modeLabel: "Creation mode",
  textToVideo: "Text to Video",
  imageToVideo: "Image to Video",
  uploadImage: "Upload image",
  uploading: "Uploading…",
  uploaded: "Image uploaded",
  uploadFailed: "Upload failed",
  promptPlaceholder: "Describe the content you want to create",
  submitting: "Submitting…",
  submitted: "Your video is being generated. Video id:",
  networkError: "Network error, please try again",
  // The 2026 pages (docs/PIXVERSE.md "Creating a video"); the promo is the simulator's own wording.
  close: "Close",
  promoTitle: "Limited-time offer",
  promoText: "Upgrade your plan for more credits and faster generations. (A simulator promo: close it to go on.)",
  uploadHint: "Click or drag an image here",
  uploadVideo: "Upload video",
  endFrame: "End frame",
  uploadedImage: "Uploaded image",
  removeImage: "Remove image",
  audio: "Audio",
  multiShot: "Multi-Shot",
  model: "Model",
  quality: "Quality",
  duration: "Duration",
  concurrencyLimit: "Maximum concurrent generations reached",
  concurrencyHint: "Wait for one of your videos to finish, or upgrade your plan.",
  ok: "OK",
} as const;

export type I18nKey = keyof typeof en;

const ru: Record<I18nKey, string> = {
  title: "Симулятор Pixverse",
  banner: "Локальный симулятор Pixverse — это не настоящий сайт",
  onboardTitle: "Добро пожаловать",
  onboardText: "Войдите, чтобы создавать видео.",
  login: "Вход",
  loginTitle: "Вход в аккаунт",
  username: "Эл. почта или имя пользователя",
  password: "Пароль",
  verifyHuman: "Подтвердите, что вы человек",
  humanHint: "Подтвердите, что вы человек, чтобы продолжить.",
  homeTitle: "Главная",
  signedInAs: "Вы вошли как",
  create: "Создать",
  modeLabel: "Режим создания",
  textToVideo: "Текст в видео",
  imageToVideo: "Изображение в видео",
  uploadImage: "Загрузить изображение",
  uploading: "Загрузка…",
  uploaded: "Изображение загружено",
  uploadFailed: "Не удалось загрузить",
  promptPlaceholder: "Опишите контент, который хотите создать",
  submitting: "Отправка…",
  submitted: "Видео создаётся. Идентификатор видео:",
  networkError: "Ошибка сети, попробуйте ещё раз",
  close: "Закрыть",
  promoTitle: "Ограниченное предложение",
  promoText: "Улучшите тариф: больше кредитов и быстрее генерация. (Реклама симулятора: закройте её, чтобы продолжить.)",
  uploadHint: "Нажмите или перетащите сюда изображение",
  uploadVideo: "Загрузить видео",
  endFrame: "Последний кадр",
  uploadedImage: "Загруженное изображение",
  removeImage: "Удалить изображение",
  audio: "Звук",
  multiShot: "Несколько сцен",
  model: "Модель",
  quality: "Качество",
  duration: "Длительность",
  concurrencyLimit: "Достигнут предел одновременных генераций",
  concurrencyHint: "Дождитесь окончания одного из видео или улучшите тариф.",
  ok: "ОК",
};

export const DICTIONARIES: Record<Lang, Record<I18nKey, string>> = { en, ru };
export const I18N_KEYS = Object.keys(en) as [I18nKey, ...I18nKey[]];

/** The dictionaries with some English labels replaced (the 2026 pages' `POST /__sim/labels`). */
export function withEnglishOverrides(overrides: Partial<Record<I18nKey, string>>): Record<Lang, Record<I18nKey, string>> {
  return { en: { ...en, ...overrides }, ru };
}

export function t(lang: Lang, key: I18nKey): string {
  return DICTIONARIES[lang][key];
}

/** Russian when the (first) language starts with `ru`, otherwise English. */
export function pickLang(language: string | undefined): Lang {
  return (language ?? "").trim().toLowerCase().startsWith("ru") ? "ru" : "en";
}
