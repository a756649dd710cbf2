/* Progressive enhancement only: every page works without this file. */

// Deadlines and dates written by the server in the edition's time zone (named) are also given in the visitor's own:
// each <time data-local-time> is rewritten with Intl.DateTimeFormat, the server's text kept as its title. Without
// JS, or in a browser without Intl, the server's text stays.
// Pages without such a date skip Intl altogether: building a formatter loads locale data, a long task on a phone.
document.addEventListener("DOMContentLoaded", () => {
  const times = document.querySelectorAll("time[data-local-time]");
  if (!times.length || typeof Intl === "undefined" || !Intl.DateTimeFormat) return;
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
  for (const time of times) {
    const moment = new Date(time.dateTime);
    if (Number.isNaN(moment.getTime())) continue;
    time.title = time.textContent.trim();
    time.textContent = zone ? `${format.format(moment)} (${zone})` : format.format(moment);
  }
});
