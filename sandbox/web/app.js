// The sandbox web chat: a client of the emulator's /web/api. Text is always inserted as
// text (textContent / text nodes); formatting comes from Telegram's entities, as a real
// client renders it, so a bot's HTML can never run here.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { user: null, chat: null, thread: null, chats: [], events: null, privateId: null, ticket: 0 };

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: body instanceof FormData ? {} : { "Content-Type": "application/json" },
    body: body instanceof FormData ? body : JSON.stringify(body),
  };
  const response = await fetch("/web/api/" + path, init);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function toast(text) {
  const box = $("#toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3000);
}

// -- Telegram entities → DOM --------------------------------------------------------------

const SAFE_URL = /^(https?:|tg:|mailto:)/i;

function entityElement(entity, text) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const span = el("span", { class: "spoiler", title: "spoiler" });
      span.addEventListener("click", () => span.classList.add("shown"));
      return span;
    }
    case "text_link": case "url": {
      const href = entity.type === "url" ? text : entity.url;
      if (!SAFE_URL.test(href || "")) return el("span");
      return el("a", { href, target: "_blank", rel: "noopener noreferrer" });
    }
    default: return el("span");
  }
}

// Entities nest (bold inside a link); offsets are UTF-16 units, which is what JS indexes.
function renderText(parent, text, start, end, entities) {
  let pos = start;
  let i = 0;
  while (i < entities.length && entities[i].offset < end) {
    const entity = entities[i];
    const stop = Math.min(entity.offset + entity.length, end);
    const inner = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < stop) inner.push(entities[j++]);
    if (entity.offset >= pos) {
      if (entity.offset > pos) parent.append(text.slice(pos, entity.offset));
      const node = entityElement(entity, text.slice(entity.offset, stop));
      renderText(node, text, entity.offset, stop, inner);
      parent.append(node);
      pos = stop;
    }
    i = j;
  }
  if (pos < end) parent.append(text.slice(pos, end));
}

function formatted(text, entities) {
  const body = el("div", { class: "body" });
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  renderText(body, text, 0, text.length, sorted);
  return body;
}

// -- messages -------------------------------------------------------------------------------

function mediaNode(media) {
  if (media.kind === "photo" || media.kind === "sticker") {
    return el("img", { src: media.url, alt: "photo", loading: "lazy" });
  }
  if (media.kind === "voice" || media.kind === "audio") {
    return el("div", { class: "voice" }, "🎤", el("audio", { controls: "", src: media.url, preload: "none" }),
      `0:${String(media.duration || 1).padStart(2, "0")}`);
  }
  return el("div", { class: "doc" }, "📄 ", el("a", { href: media.url, target: "_blank" }, media.name || media.kind));
}

function messageNode(m) {
  if (m.service) return el("div", { class: "service", "data-id": m.id }, m.service);
  const node = el("div", { class: "msg" + (m.mine ? " mine" : ""), "data-id": m.id });
  if (!m.mine) node.append(el("div", { class: "author" }, m.from_bot ? `🤖 ${m.author}` : m.author));
  if (m.media) node.append(mediaNode(m.media));
  if (m.contact) node.append(el("div", {}, `📱 ${m.contact.name}: ${m.contact.phone}`));
  if (m.text) node.append(formatted(m.text, m.entities));
  if (m.buttons.length) {
    const kb = el("div", { class: "inline-kb" });
    for (const row of m.buttons) {
      const line = el("div", { class: "row" });
      for (const b of row) {
        if (b.url) line.append(el("a", { href: b.url, target: "_blank", rel: "noopener" }, b.text + " ↗"));
        else line.append(el("button", { type: "button", onclick: () => press(m.id, b.data) }, b.text));
      }
      kb.append(line);
    }
    node.append(kb);
  }
  const time = new Date((m.date || 0) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  node.append(el("div", { class: "meta" }, (m.edited ? "изменено · " : "") + time));
  return node;
}

function showMessage(m) {
  const box = $("#messages");
  const old = box.querySelector(`[data-id="${m.id}"]`);
  const node = messageNode(m);
  if (old) old.replaceWith(node);
  else {
    const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.append(node);
    if (stick) box.scrollTop = box.scrollHeight;
  }
}

function showKeyboard(rows) {
  const box = $("#keyboard");
  box.replaceChildren();
  for (const row of rows || []) {
    const line = el("div", { class: "row" });
    for (const b of row) {
      line.append(el("button", { type: "button", onclick: () => (b.contact ? shareContact() : sendText(b.text)) },
        (b.contact ? "📱 " : "") + b.text));
    }
    box.append(line);
  }
}

// -- chats ----------------------------------------------------------------------------------

function isOpen(chatId, thread) {
  return state.chat === chatId && (state.thread ?? null) === (thread ?? null);
}

function chatTitle() {
  const chat = state.chats.find((c) => c.id === state.chat);
  const topic = chat && chat.topics.find((t) => t.id === state.thread);
  return chat ? chat.title + (topic ? " · " + topic.name : "") : "";
}

function renderChats() {
  if (state.chat) $("#chat-title").textContent = chatTitle();
  const nav = $("#chats");
  nav.replaceChildren();
  for (const chat of state.chats) {
    const kind = chat.kind === "private" ? "личный чат с ботом · private" : "группа сотрудников · staff forum";
    const item = el("button", { type: "button", class: "chat-item", "data-chat": chat.id,
      onclick: () => openChat(chat.id, null) }, chat.title, el("span", { class: "kind" }, kind));
    if (isOpen(chat.id, null)) item.classList.add("active");
    nav.append(item);
    for (const topic of chat.topics) {
      const t = el("button", { type: "button", class: "topic-item" + (topic.closed ? " closed" : ""),
        "data-chat": chat.id, "data-thread": topic.id, onclick: () => openChat(chat.id, topic.id) }, "# " + topic.name);
      if (isOpen(chat.id, topic.id)) t.classList.add("active");
      nav.append(t);
    }
  }
}

async function loadChats() {
  const user = state.user;
  const chats = (await api(`chats?user=${user}`)).chats;
  if (user !== state.user) return;  // another persona was picked meanwhile
  state.chats = chats;
  state.privateId = chats[0].id;
  renderChats();
}

async function openChat(chatId, thread) {
  state.chat = chatId;
  state.thread = thread;
  localStorage.setItem("sandbox.open", JSON.stringify({ user: state.user, chat: chatId, thread }));
  document.body.classList.add("chat-open");
  $("#contact").hidden = chatId !== state.privateId;
  renderChats();
  const query = `history?user=${state.user}&chat=${chatId}` + (thread ? `&thread=${thread}` : "");
  const history = await api(query);
  if (!isOpen(chatId, thread)) return;
  $("#messages").replaceChildren();
  history.messages.forEach(showMessage);
  showKeyboard(history.keyboard);
  $("#messages").scrollTop = $("#messages").scrollHeight;
}

// -- acting ---------------------------------------------------------------------------------

function where() {
  return { user: state.user, chat: state.chat, thread: state.thread };
}

async function sendText(text) {
  if (!state.chat || !text.trim()) return;
  showMessage(await api("send", { ...where(), text }));
}

async function press(messageId, data) {
  const result = await api("press", { ...where(), message_id: messageId, data });
  if (result.answer) toast(result.answer);
}

async function shareContact() {
  showMessage(await api("contact", { user: state.user }));
}

async function upload(kind, file) {
  const form = new FormData();
  for (const [key, value] of Object.entries(where())) if (value !== null) form.append(key, value);
  form.append("kind", kind);
  if (file) form.append("file", file);
  const caption = $("#text").value.trim();
  if (caption && kind !== "voice") { form.append("caption", caption); $("#text").value = ""; }
  showMessage(await api("upload", form));
}

// -- live events ----------------------------------------------------------------------------

let refreshTimer = null;
function refreshChatsSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadChats, 150);
}

function onEvent(event) {
  const data = JSON.parse(event.data);
  if (data.type === "reset") { showClock(0); loadChats().then(() => openChat(state.privateId, null)); return; }
  if (data.type === "clock") { showClock(data.offset); return; }
  const m = data.message;
  if (data.chat !== state.privateId) refreshChatsSoon();  // topics appear and get renamed
  if (isOpen(data.chat, m.thread)) {
    if (data.type === "delete") $("#messages").querySelector(`[data-id="${m.id}"]`)?.remove();
    else showMessage(m);
    if ("keyboard" in data && data.type === "message" && m.from_bot) showKeyboard(data.keyboard);
  } else if (data.type !== "delete") {
    const selector = m.thread ? `[data-chat="${data.chat}"][data-thread="${m.thread}"]` : `.chat-item[data-chat="${data.chat}"]`;
    document.querySelector(selector)?.classList.add("unread");
  }
}

function showClock(offset) {
  const hours = Math.round(offset / 3600);
  $("#clock").textContent = offset ? `часы: +${hours >= 48 ? Math.round(hours / 24) + " дн" : hours + " ч"}` : "часы: сейчас";
}

async function choosePersona(userId, open) {
  const ticket = ++state.ticket;
  state.user = userId;
  localStorage.setItem("sandbox.user", String(userId));
  $("#persona").value = String(userId);
  $("#export").href = `/web/api/export?user=${userId}`;
  if (state.events) state.events.close();
  state.events = new EventSource(`/web/events?user=${userId}`);
  state.events.onmessage = onEvent;
  // After a lost connection (a restart of the sandbox) the page catches up on what it missed.
  let first = true;
  state.events.addEventListener("ready", () => {
    if (!first && state.chat) loadChats().then(() => openChat(state.chat, state.thread));
    first = false;
  });
  await loadChats();
  if (ticket !== state.ticket) return;  // a later pick wins
  const target = open && open.user === userId && state.chats.some((c) => c.id === open.chat) ? open : null;
  await openChat(target ? target.chat : state.privateId, target ? target.thread : null);
}

async function loadPersonas(selected) {
  const info = await api("personas");
  const select = $("#persona");
  select.replaceChildren(...info.personas.map((p) =>
    el("option", { value: p.id }, `${p.name} — ${p.role} (${p.lang || "ru"})`)));
  showClock(info.clock_offset);
  const ids = info.personas.map((p) => p.id);
  return ids.includes(selected) ? selected : ids[0];
}

async function start() {
  // Controls first: a persona picked while the page is still loading must count.
  $("#persona").addEventListener("change", (e) => choosePersona(Number(e.target.value), null));
  $("#composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#text");
    const text = input.value;
    input.value = "";
    await sendText(text);
  });
  $("#photo").addEventListener("change", (e) => { upload("photo", e.target.files[0]); e.target.value = ""; });
  $("#document").addEventListener("change", (e) => { upload("document", e.target.files[0]); e.target.value = ""; });
  $("#voice").addEventListener("click", () => upload("voice", null));
  $("#contact").addEventListener("click", shareContact);
  $("#back").addEventListener("click", () => document.body.classList.remove("chat-open"));
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", async () => {
      const result = await api("clock", { seconds: Number(button.dataset.advance) });
      showClock(result.clock_offset);
    });
  }
  $("#reset").addEventListener("click", async () => {
    if (!confirm("Начать заново? Все чаты и база песочницы будут очищены.\nStart over? All chats are wiped.")) return;
    toast("Сброс… · Resetting…");
    await api("reset", {});
    toast("Песочница начата заново · Sandbox reset");
  });
  $("#add-persona-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const persona = await api("personas", { name: form.get("name"), lang: form.get("lang") });
    e.target.reset();
    $("#add-persona").open = false;
    await loadPersonas(persona.id);
    await choosePersona(persona.id, null);
  });

  const saved = Number(localStorage.getItem("sandbox.user"));
  const open = JSON.parse(localStorage.getItem("sandbox.open") || "null");
  const user = await loadPersonas(saved);
  if (user === undefined) $("#add-persona").open = true;  // an emulator with nobody yet
  else if (state.user === null) await choosePersona(user, open);
}

window.addEventListener("unhandledrejection", (e) => toast("Ошибка · Error: " + (e.reason?.message || e.reason)));
start();
