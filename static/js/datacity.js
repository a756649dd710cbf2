/* Progressive enhancement only: every page works without this file. */
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits as soon as a language is picked; its button stays for keyboard-only use without JS.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
    const button = select.form.querySelector("button[type=submit]");
    if (button) button.classList.add("visually-hidden");
  }
});
