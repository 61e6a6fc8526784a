// The pages' words in English and Russian. The Russian labels the spec quotes (`Вход`, `Создать`,
// `Опишите контент, который хотите создать`) are what a Russian-locale browser saw on the real site.
export const LANGS = ["en", "ru"] as const;
export type Lang = (typeof LANGS)[number];

const en = {
  title: "Pixverse simulator",
  banner: "Local Pixverse simulator — not the real site",
  onboardTitle: "Welcome",
  onboardText: "Sign in to start creating videos.",
  login: "Login",
  loginTitle: "Sign in",
  username: "Email or username",
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
};

export const DICTIONARIES: Record<Lang, Record<I18nKey, string>> = { en, ru };

export function t(lang: Lang, key: I18nKey): string {
  return DICTIONARIES[lang][key];
}

/** Russian when the (first) language starts with `ru`, otherwise English. */
export function pickLang(language: string | undefined): Lang {
  return (language ?? "").trim().toLowerCase().startsWith("ru") ? "ru" : "en";
}
