// Jobs pages: while a job is queued or running, fetch this page every two seconds and swap in
// its live part (states, progress bars, timings), until nothing is running. No inline script:
// the page marks its live part with data-jobs-live="true".
const EVERY_MS = 2000;

async function refresh() {
  const live = document.querySelector("[data-jobs-live]");
  if (!live || live.dataset.jobsLive !== "true") return;
  try {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("[data-jobs-live]");
    if (!next) return;
    live.replaceChildren(...next.childNodes);
    live.dataset.jobsLive = next.dataset.jobsLive;
  } catch {
    // Offline for a moment: try again on the next tick.
  }
  window.setTimeout(refresh, EVERY_MS);
}

window.setTimeout(refresh, EVERY_MS);
