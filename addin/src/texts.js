// The texts of the add-in come from the server's catalogs (Flask-Babel) in both languages;
// Outlook's display language picks one.

export function pickTexts(all, displayLanguage) {
  const language = String(displayLanguage || "").toLowerCase().startsWith("nl") ? "nl" : "en";
  // Object.assign, not spread: the handlers' runtime may only have ES2016.
  return Object.assign({}, all.en || {}, all[language] || {}, { language });
}
