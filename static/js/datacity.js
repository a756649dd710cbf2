/* Progressive enhancement only: every page works without this file. */
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits as soon as a language is picked; its button stays for keyboard-only use without JS.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
    const button = select.form.querySelector("button[type=submit]");
    if (button) button.classList.add("visually-hidden");
  }
});

// Deadlines and dates written by the server in the edition's time zone (named) are also given in the visitor's own:
// each <time data-local-time> is rewritten with Intl.DateTimeFormat, the server's text kept as its title. Without
// JS, or in a browser without Intl, the server's text stays.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Intl === "undefined" || !Intl.DateTimeFormat) return;
  const language = document.documentElement.lang || undefined;
  let format, zone;
  try {
    format = new Intl.DateTimeFormat(language, {
      year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
    zone = format.resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  for (const time of document.querySelectorAll("time[data-local-time]")) {
    const moment = new Date(time.dateTime);
    if (Number.isNaN(moment.getTime())) continue;
    time.title = time.textContent.trim();
    time.textContent = zone ? `${format.format(moment)} (${zone})` : format.format(moment);
  }
});
