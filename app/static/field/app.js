/* Field work on a phone: the offline outbox (待发送), photos shrunk before upload, "用我的位置",
 * the service worker, and clearing what the phone keeps at log-out.
 *
 * Forms marked data-offline="<kind>" carry a hidden client_id. Online they submit as usual. Offline,
 * the submission is kept in IndexedDB and sent when the connection returns, asking for JSON: the server
 * answers 201 (made), 200 (made earlier: a resend changes nothing) or 409/422 with the reason, which
 * stays on the outbox page for the user to read.
 */
(() => {
  "use strict";

  const texts = JSON.parse((document.getElementById("field-texts") || {}).textContent || "{}");
  const say = (key, count) => (texts[key] || key).replace("%(count)s", String(count));
  const body = document.body;
  const DB_NAME = "jiefen-field";
  const STORE = "outbox";
  const pendingShrinks = new Map();

  /* ---- the outbox in IndexedDB ---- */
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "clientId" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function withStore(mode, action) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => { db.close(); resolve(request.result); };
      transaction.onerror = () => { db.close(); reject(transaction.error); };
    }));
  }

  const outbox = {
    all: () => withStore("readonly", (store) => store.getAll()),
    put: (item) => withStore("readwrite", (store) => store.put(item)),
    remove: (clientId) => withStore("readwrite", (store) => store.delete(clientId)),
  };

  function newClientId() {
    return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9-]/g, "");
  }

  function entriesOf(form, submitter) {
    const entries = [];
    for (const [name, value] of new FormData(form, submitter)) {
      if (value instanceof File) {
        if (value.size > 0 || value.name) entries.push({ name, file: value, filename: value.name });
      } else {
        entries.push({ name, value });
      }
    }
    return entries;
  }

  async function keepForLater(form, submitter) {
    const clientId = form.elements.client_id.value || newClientId();
    await outbox.put({
      clientId,
      url: form.action || location.href,
      kind: form.dataset.offline,
      summary: form.dataset.summary || document.title,
      entries: entriesOf(form, submitter),
      createdAt: new Date().toISOString(),
      state: "waiting",
    });
    showNotice(say("queued"), "info", "queued-notice");
    if (form.dataset.offline === "case") {
      form.reset();
    } else {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach((button) => { button.disabled = true; });
    }
    form.elements.client_id.value = newClientId();
    await refreshCount();
  }

  /* ---- sending what waits ---- */
  let flushing = null;
  function flush() {
    if (!flushing) flushing = sendWaiting().finally(() => { flushing = null; });
    return flushing;
  }

  async function freshToken() {
    const response = await fetch(body.dataset.csrfUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok || response.redirected) return null;
    return (await response.json()).csrf_token;
  }

  async function sendWaiting() {
    if (!navigator.onLine || !body.dataset.csrfUrl) return;
    const waiting = (await outbox.all()).filter((item) => item.state === "waiting")
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    if (waiting.length) {
      let token;
      try { token = await freshToken(); } catch (error) { return; }
      if (!token) { showNotice(say("login_needed"), "error", "login-needed"); return; }
      for (const item of waiting) {
        const answer = await send(item, token);
        if (answer === "later") break;
      }
    }
    await refreshCount();
    renderOutbox();
  }

  async function send(item, token) {
    const form = new FormData();
    for (const entry of item.entries) {
      if (entry.file) form.append(entry.name, entry.file, entry.filename);
      else form.append(entry.name, entry.value);
    }
    form.set("csrf_token", token);
    form.set("client_id", item.clientId);
    let response;
    try {
      response = await fetch(item.url, { method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (error) {
      return "later";
    }
    let answer = null;
    try { answer = await response.json(); } catch (error) { answer = null; }
    if (answer && (response.status === 201 || response.status === 200)) {
      await outbox.remove(item.clientId);
      showNotice(`${item.summary}：${answer.message}`, "success", "sent-notice");
      return "sent";
    }
    if (!answer || response.status >= 500 || response.status === 429) return "later";
    const reasons = Object.values(answer.errors || {}).flat();
    await outbox.put({ ...item, state: "refused", reason: [answer.message, ...reasons].filter(Boolean).join(" ") });
    showNotice(`${item.summary}：${say("refused")} ${answer.message}`, "error", "refused-notice");
    return "refused";
  }

  async function refreshCount() {
    let items = [];
    try { items = await outbox.all(); } catch (error) { return; }
    const waiting = items.filter((item) => item.state === "waiting").length;
    const refused = items.length - waiting;
    document.querySelectorAll("[data-outbox-count]").forEach((badge) => {
      const parts = [];
      if (waiting) parts.push(say("waiting", waiting));
      if (refused) parts.push(say("refused_count", refused));
      badge.textContent = parts.join(" · ");
      badge.hidden = parts.length === 0;
    });
  }

  async function renderOutbox() {
    const list = document.querySelector("[data-outbox-list]");
    if (!list) return;
    const items = (await outbox.all()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    list.replaceChildren();
    document.querySelectorAll("[data-outbox-empty]").forEach((empty) => { empty.hidden = items.length > 0; });
    for (const item of items) {
      const row = document.createElement("li");
      row.dataset.testid = item.state === "waiting" ? "outbox-waiting" : "outbox-refused";
      const title = document.createElement("strong");
      title.textContent = item.summary;
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = ` ${new Date(item.createdAt).toLocaleString()} · ${item.state === "waiting" ? say("state_waiting") : say("state_refused")}`;
      row.append(title, when);
      if (item.reason) {
        const reason = document.createElement("p");
        reason.className = "error";
        reason.dataset.testid = "outbox-reason";
        reason.textContent = item.reason;
        row.append(reason);
      }
      if (item.state !== "waiting") {
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "secondary";
        drop.textContent = say("discard");
        drop.addEventListener("click", async () => { await outbox.remove(item.clientId); await refreshCount(); renderOutbox(); });
        row.append(drop);
      }
      list.append(row);
    }
  }

  function showNotice(message, kind, testid) {
    const main = document.querySelector("main");
    if (!main) return;
    const notice = document.createElement("p");
    notice.className = `flash flash-${kind}`;
    notice.setAttribute("role", "status");
    notice.dataset.testid = testid;
    notice.textContent = message;
    main.prepend(notice);
  }

  /* ---- photos: shrunk on the phone before they are sent or kept ---- */
  async function shrink(file, longest) {
    if (!file.type.startsWith("image/") || file.type === "image/gif") return file;
    let bitmap;
    try { bitmap = await createImageBitmap(file); } catch (error) { return file; }
    const scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg") return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob) return file;
    return new File([blob], `${file.name.replace(/\.[^.]+$/, "") || "photo"}.jpg`, { type: "image/jpeg" });
  }

  async function shrinkInput(input) {
    const longest = Number(input.dataset.shrink) || 1600;
    const shrunk = new DataTransfer();
    for (const file of Array.from(input.files)) shrunk.items.add(await shrink(file, longest));
    input.files = shrunk.files;
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !("shrink" in input.dataset)) return;
    const work = shrinkInput(input).finally(() => pendingShrinks.delete(input.form));
    pendingShrinks.set(input.form, work);
  });

  /* ---- submissions: as usual online, kept for later offline ---- */
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if ("logout" in form.dataset) { logOut(event, form); return; }
    if (!form.dataset.offline) return;
    const shrinking = pendingShrinks.get(form);
    if (shrinking) {
      event.preventDefault();
      shrinking.then(() => form.requestSubmit(event.submitter || undefined));
      return;
    }
    if (navigator.onLine) return;
    event.preventDefault();
    keepForLater(form, event.submitter);
  });

  /* ---- "用我的位置": the nearest standard addresses, confirmed by the user ---- */
  function locate(button) {
    const form = button.form;
    const status = form.querySelector("[data-locate-status]");
    const list = form.querySelector("[data-locate-list]");
    status.textContent = say("locating");
    navigator.geolocation.getCurrentPosition(async (position) => {
      const { latitude, longitude } = position.coords;
      list.replaceChildren();
      if (!navigator.onLine) {
        offerPosition(form, status, list, latitude, longitude);
        return;
      }
      let places = [];
      try {
        const response = await fetch(`${button.dataset.locate}?lat=${latitude}&lng=${longitude}`,
          { credentials: "same-origin", headers: { Accept: "application/json" } });
        places = (await response.json()).addresses || [];
      } catch (error) {
        offerPosition(form, status, list, latitude, longitude);
        return;
      }
      status.textContent = places.length ? say("choose_address") : say("no_address_nearby");
      for (const place of places) {
        const choice = document.createElement("button");
        choice.type = "button";
        choice.className = "secondary suggestion";
        choice.dataset.testid = "nearby-address";
        choice.textContent = `${place.text}（${place.grid} · ${say("metres", place.distance_m)}）`;
        choice.addEventListener("click", () => {
          form.elements.address_id.value = String(place.id);
          setPosition(form, latitude, longitude);
          status.textContent = `${say("address_chosen")}${place.text}`;
          list.replaceChildren();
        });
        list.append(choice);
      }
    }, () => { status.textContent = say("locate_failed"); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function offerPosition(form, status, list, latitude, longitude) {
    status.textContent = say("located_offline");
    const keep = document.createElement("button");
    keep.type = "button";
    keep.className = "secondary suggestion";
    keep.dataset.testid = "keep-position";
    keep.textContent = say("keep_position");
    keep.addEventListener("click", () => {
      setPosition(form, latitude, longitude);
      status.textContent = say("position_kept");
      list.replaceChildren();
    });
    list.append(keep);
  }

  function setPosition(form, latitude, longitude) {
    form.elements.latitude.value = latitude.toFixed(6);
    form.elements.longitude.value = longitude.toFixed(6);
  }

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-locate]") : null;
    if (!button) return;
    event.preventDefault();
    locate(button);
  });

  /* ---- log-out: what the phone keeps of this user goes with them ---- */
  async function logOut(event, form) {
    if (form.dataset.cleared) return;
    event.preventDefault();
    let items = [];
    try { items = await outbox.all(); } catch (error) { items = []; }
    if (items.length && !window.confirm(say("logout_drops", items.length))) return;
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    if (window.caches) await Promise.all((await caches.keys()).map((name) => caches.delete(name)));
    form.dataset.cleared = "1";
    form.submit();
  }

  /* ---- the case page on a phone: what to do now first, the trail folded until asked for ---- */
  if (window.matchMedia("(max-width: 640px)").matches) {
    document.querySelectorAll("details.trail-box").forEach((trail) => { trail.open = false; });
  }

  /* ---- start ---- */
  if ("serviceWorker" in navigator && body.dataset.serviceWorker) {
    navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: "/" }).then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        const urls = (body.dataset.warm || "").split(" ").filter(Boolean);
        if (urls.length && registration.active && !sessionStorage.getItem("jiefen-warm")) {
          registration.active.postMessage({ type: "warm", urls });
          sessionStorage.setItem("jiefen-warm", "1");
        }
      }).catch(() => undefined);
  }
  const markConnection = () => body.classList.toggle("offline", !navigator.onLine);
  window.addEventListener("online", () => { markConnection(); flush(); });
  window.addEventListener("offline", markConnection);
  markConnection();
  if (body.dataset.csrfUrl) {  // logged in: a logged-out phone keeps nothing (see logOut)
    refreshCount();
    renderOutbox();
    flush();
  }
  window.jiefenField = { flush, outbox };
})();
