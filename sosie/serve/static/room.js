// The interview room: ask, watch the answer arrive, open its sources, keep the transcript.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { cards: [], card: null, session: null, busy: false };

function sessionKey() {
  return `sosie:session:${state.card.slug}`;
}

function setDownloads() {
  for (const format of ["md", "json"]) {
    const link = $(`download-${format}`);
    if (state.session) {
      link.href = `/api/personas/${state.card.slug}/sessions/${state.session}/transcript?format=${format}`;
      link.removeAttribute("aria-disabled");
    } else {
      link.href = "#";
      link.setAttribute("aria-disabled", "true");
    }
  }
}

// Answer text with its [n] markers turned into buttons that open the cited passage.
function answerBody(answer) {
  const body = Sosie.el("p", { class: "text" });
  const parts = answer.text.split(/\[(\d+)\]/);
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      body.append(part);
      return;
    }
    const citation = answer.citations.find((c) => c.n === Number(part));
    if (!citation) {
      body.append(`[${part}]`);
      return;
    }
    const button = Sosie.el("button", {
      class: "cite", type: "button", "data-passage": citation.passage_id,
      "aria-label": `Source ${part}: ${citation.source.split("/").pop()}`, text: `[${part}]`,
    });
    button.addEventListener("click", () => openCitation(citation));
    body.append(button);
  });
  return body;
}

function renderAnswer(box, answer) {
  box.className = answer.abstained ? "a abstained" : "a";
  const who = Sosie.el("span", { class: "who", text: `Simulated ${state.card.name} · ${answer.engine} engine` });
  box.replaceChildren(who, Sosie.modelLine(answer), answerBody(answer));
  if (answer.as_of) {  // an as-of answer: what it was drawn from and what it left out
    const w = answer.as_of;
    const left = [[w.later_sources, "later"], [w.undated_sources, "undated"]].filter(([n]) => n)
      .map(([n, what]) => `${n} ${what} source${n === 1 ? "" : "s"} left out`);
    box.append(Sosie.el("p", { class: "as-of", text: `As of ${w.as_of}: from the ${w.sources} source${w.sources === 1 ? "" : "s"} dated up to then${left.length ? "; " + left.join(", ") : ""}.` }));
  }
  if (answer.citations.length) {
    const list = Sosie.el("ol", { class: "sources", "aria-label": "Sources" });
    for (const c of answer.citations) {
      const where = [c.date || "undated", c.locator].filter(Boolean).join(", ");
      list.append(Sosie.el("li", { value: c.n, text: `${c.source.split("/").pop()} — ${c.speaker}, ${where}` }));
    }
    box.append(list);
  }
  if (answer.engine !== "quote" && answer.support.length) {
    const support = Sosie.el("p", { class: "support" }, "Sentence by sentence: ");
    for (const s of answer.support) {
      support.append(Sosie.el("span", { class: `tag-${s.tag}`, title: s.tag, text: s.sentence }), " ");
    }
    box.append(support);
  }
  if (answer.repairs && answer.repairs.length) {  // what the grounding check changed in the draft
    const checked = Sosie.el("ul", { class: "repairs", "aria-label": `Checked in ${answer.grounding} mode` });
    for (const r of answer.repairs) {
      const item = Sosie.el("li", { class: `repair-${r.action}` }, `${r.action}: `);
      item.append(Sosie.el("del", { text: r.sentence || "(nothing left)" }));
      if (r.by) item.append(" → ", Sosie.el("ins", { text: r.by }));
      if (r.why) item.append(` (${r.why})`);
      checked.append(item);
    }
    box.append(Sosie.el("p", { class: "support", text: `Checked in ${answer.grounding} mode:` }), checked);
  }
}

function addExchange(question) {
  const item = Sosie.el("li");
  item.append(Sosie.el("p", { class: "q", text: question }));
  const box = Sosie.el("div", { class: "a" });
  item.append(box);
  $("exchanges").append(item);
  return box;
}

// A passage from a recording: the original, kept in the workspace, played from the cited second.
function playFrom(p) {
  const box = $("citation-player");
  const tag = p.provenance && p.provenance.video ? "video" : "audio";
  const player = Sosie.el(tag, { controls: "", preload: "auto", src: `${p.media}#t=${p.seconds || 0}` });
  player.addEventListener("loadedmetadata", () => { player.currentTime = p.seconds || 0; }, { once: true });
  const at = new Date((p.seconds || 0) * 1000).toISOString().slice(11, 19);
  box.replaceChildren(Sosie.el("p", { class: "hint", text: `The recording, from ${at}:` }), player);
  box.hidden = false;
  player.play().catch(() => {});  // a browser that refuses autoplay still shows the player at that second
}

function stopPlayer() {
  const box = $("citation-player");
  for (const player of box.querySelectorAll("audio, video")) player.pause();
  box.replaceChildren();
  box.hidden = true;
}

async function openCitation(citation) {
  const dialog = $("citation");
  stopPlayer();
  $("citation-text").textContent = citation.text;
  const meta = $("citation-meta");
  meta.replaceChildren();
  const row = (term, value) => value && meta.append(Sosie.el("dt", { text: term }), Sosie.el("dd", { text: value }));
  try {
    const p = await Sosie.api(`/api/personas/${state.card.slug}/passages/${citation.passage_id}`);
    $("citation-text").textContent = p.text;
    row("Source", p.path);
    row("Title", p.title);
    row("Speaker", p.speaker);
    row("Date", p.date || "undated");
    row("Timestamp / page", p.locator);
    if (citation.link && /^https?:\/\//.test(citation.link)) {  // the cited moment of a video page
      const a = Sosie.el("a", { href: citation.link, target: "_blank", rel: "noopener noreferrer", text: citation.link });
      meta.append(Sosie.el("dt", { text: "Watch at this moment" }), Sosie.el("dd", {}, a));
    }
    if (p.media) playFrom(p);
    row("Lines", p.line_start === p.line_end ? `${p.line_start}` : `${p.line_start}–${p.line_end}`);
    row("Characters", `${p.start}–${p.end}`);
    row("Answering", p.question);
    row("Also in", p.also_in.join(", "));
    row("Origin", p.origin);
    row("SHA-256", p.sha256);
  } catch (error) {
    row("Error", error.message);
  }
  dialog.showModal();
}

async function loadSession() {
  $("exchanges").replaceChildren();
  state.session = Number(localStorage.getItem(sessionKey())) || null;
  if (state.session) {
    try {
      const record = await Sosie.api(`/api/personas/${state.card.slug}/sessions/${state.session}`);
      $("engine").value = record.engine;
      $("as-of").value = record.as_of || "";
      for (const e of record.exchanges) renderAnswer(addExchange(e.question), e);
    } catch {
      state.session = null;
      localStorage.removeItem(sessionKey());
    }
  }
  setDownloads();
}

async function choosePersona() {
  state.card = state.cards.find((c) => c.slug === $("persona").value);
  localStorage.setItem("sosie:persona", state.card.slug);
  Sosie.showDisclosure(state.card);
  $("persona-note").textContent = `${state.card.name}: ${state.card.corpus.subject_words} recorded words from ${state.card.corpus.sources} sources. ${state.card.description || ""}`;
  $("engine").replaceChildren(...state.card.engines.map((e) => Sosie.el("option", { value: e, text: e })));
  $("engine").value = state.card.default_engine;
  await loadSession();
}

function newInterview() {
  localStorage.removeItem(sessionKey());
  state.session = null;
  $("exchanges").replaceChildren();
  setDownloads();
  $("status").textContent = "New interview: your next question starts it.";
  $("question").focus();
}

async function ask(question) {
  if (!state.session) {
    const created = await Sosie.api(`/api/personas/${state.card.slug}/sessions`, {
      method: "POST", body: JSON.stringify({ engine: $("engine").value, as_of: $("as-of").value.trim() || null }),
    });
    state.session = created.id;
    localStorage.setItem(sessionKey(), String(created.id));
    setDownloads();
  }
  const box = addExchange(question);
  const draft = Sosie.el("span", { class: "draft" });
  box.replaceChildren(Sosie.el("span", { class: "draft-label", text: "Answering — a draft until checked against the sources…" }), draft);
  const response = await fetch(`/api/personas/${state.card.slug}/sessions/${state.session}/ask`, {
    method: "POST", headers: { "content-type": "application/json" }, credentials: "same-origin",
    body: JSON.stringify({ question, stream: true }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  }
  await Sosie.readEvents(response, (name, data) => {
    if (name === "token") draft.textContent += data.text;
    else if (name === "answer") renderAnswer(box, data.answer);
    else if (name === "error") box.replaceChildren(Sosie.el("p", { class: "error", text: data.message }));
  });
}

async function submit(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question || state.busy) return;
  state.busy = true;
  $("send").disabled = true;
  $("status").textContent = "";
  try {
    await ask(question);
    $("question").value = "";
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
  } finally {
    state.busy = false;
    $("send").disabled = false;
    $("question").focus();
  }
}

async function start() {
  $("ask").addEventListener("submit", submit);
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) submit(event);
  });
  document.addEventListener("keydown", (event) => {
    const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      $("question").focus();
    } else if (event.altKey && event.key.toLowerCase() === "n") {
      event.preventDefault();
      newInterview();
    }
  });
  $("new").addEventListener("click", newInterview);
  $("engine").addEventListener("change", newInterview); // an interview keeps one engine
  $("as-of").addEventListener("change", newInterview); // and one as-of date
  $("persona").addEventListener("change", choosePersona);
  $("citation").addEventListener("close", stopPlayer);
  try {
    state.cards = await Sosie.loadPersonas($("persona"));
    await choosePersona();
    $("question").focus();
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
  }
}

start();
