// sentilab page: plain JavaScript, no build step, talks only to this server's /v1 API.
// Offsets from the API count Unicode code points (Python str indices), so texts are sliced as
// Array.from(text) (code points), never with text.slice (UTF-16 units).
"use strict";

// Five paragraphs of about 100 words (the default paragraph size): thanks, a record, a clearly negative
// middle, a plan, a close. Analyzed whole, the mixed sentiment shows paragraph by paragraph.
const EXAMPLE = `Thank you. Thank you so much. It is wonderful to be here tonight with so many friends, and I am proud and grateful for the love and support of this great city. When I look out at this room I see teachers and nurses, farmers and factory workers, students who came a long way and parents who waited a long time for this night. You made this campaign what it is. You knocked on doors in the rain, you made calls after long shifts, and you never stopped believing. I love you all, and I am happy to share this night with you.

Four years ago we made a promise, and together we kept it. We built better schools and safer streets. We brought good jobs back to towns that had been written off. Our children are learning more than ever, our hospitals are among the best in the country, and small businesses are opening on main streets that were empty not long ago. None of this happened by accident. It happened because people worked hard, helped their neighbours and refused to give up. That is the best of who we are, and it is a great record to stand on.

But let us be honest about what is still wrong. Too many families are hurting. Factories have closed, wages are stuck, and rents keep rising while paychecks do not. I have sat at kitchen tables with parents who are afraid they will lose their homes, and I hate what I heard. It is a terrible, sad and awful situation, and it is the worst kind of failure: one we saw coming and did nothing to stop. People are angry, and they are right to be angry. Anyone who tells you that everything is fine is not listening.

So here is the plan. In the first hundred days we will send a budget to the legislature that puts the money where the needs are. We will fund training programs at the community colleges, repair the bridges and roads on the list the engineers gave us, and open the new clinic on the east side by next spring. The details are on our website, and every quarter I will report on each item with the numbers, whether they are good or bad. You will be able to see what we promised, what we did and what it cost, line by line.

Tonight I ask you to join me. Let us build a state where hard work is rewarded and every child has a fair chance. Let us be the kind of neighbours our grandparents were, generous and strong. I believe our best days are still ahead of us, and with your help I know we will get there. So go home tonight, rest a little, and tomorrow morning let us get back to work for the people who sent us here. Thank you, God bless you, and good night.`;

const EXPLAIN_CONCURRENCY = 4;
const MIN_MARK_SHARE = 0.2;
const MAX_MARKS = 15;

const $ = (id) => document.getElementById(id);
const state = { limits: null, runId: 0 };

function setStatus(message) { $("status").textContent = message; }

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let payload = null;
  try { payload = await response.json(); } catch (_) { /* not JSON: handled below */ }
  if (!response.ok) {
    const error = payload && payload.error;
    const err = new Error(error ? error.message : `HTTP ${response.status} from ${path}`);
    err.status = response.status;
    err.code = error ? error.code : "http_error";
    throw err;
  }
  return payload;
}

function fmt(x, digits = 2) { return Number(x).toFixed(digits); }
function signed(x, digits = 2) { return `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(digits)}`; }
function pct(x) { return `${Math.round(100 * x)}%`; }
function labelClass(label) {
  return label === "positive" || label === "negative" ? `label-${label}` : "label-other";
}

function updateCharCount() {
  const n = Array.from($("text-input").value).length;
  const max = state.limits ? state.limits.max_document_chars : null;
  $("char-count").textContent = max ? `${n.toLocaleString()} / ${max.toLocaleString()} characters`
                                    : `${n.toLocaleString()} characters`;
}

async function loadModels() {
  try {
    const info = await api("/v1/models");
    state.limits = info.limits;
    const select = $("model-select");
    select.replaceChildren(...info.models.map((m) => {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = `${m.name} (${m.type}: ${m.labels.join("/")})`;
      option.dataset.labels = m.labels.join(",");
      if (m.default) option.selected = true;
      return option;
    }));
    $("words-input").value = info.paragraph_words;
    updateCharCount();
  } catch (err) {
    showError(`Could not list the models: ${err.message}`);
  }
}

function selectedLabels() {
  const option = $("model-select").selectedOptions[0];
  return option ? option.dataset.labels.split(",") : [];
}

// --------------------------------------------------------------------------------------------- rendering
function renderVerdict(result) {
  const agg = result.aggregate;
  const label = $("result-label");
  label.textContent = agg.label;
  label.className = `label ${labelClass(agg.label)}`;
  $("result-polarity").textContent = signed(agg.mean_polarity);
  const parts = Object.entries(agg.shares)
    .filter(([, share]) => share > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, share]) => `${pct(share)} ${name}`);
  const n = agg.paragraphs;
  $("result-summary").textContent =
    `${n} paragraph${n === 1 ? "" : "s"} (${agg.words} words, about ${result.words} per paragraph): ` +
    `${parts.join(", ")}. Polarity = P(positive) − P(negative), from −1 to +1; probability = how sure the ` +
    "model is of a paragraph's label.";
  const bar = $("share-bar");
  bar.replaceChildren(...Object.entries(agg.shares).filter(([, s]) => s > 0).map(([name, share]) => {
    const seg = document.createElement("span");
    seg.className = name === "positive" || name === "negative" ? `share-${name}` : "share-other";
    seg.style.width = `${100 * share}%`;
    seg.title = `${name}: ${pct(share)}`;
    return seg;
  }));
  bar.setAttribute("aria-label", `Share of paragraphs: ${parts.join(", ")}`);
}

function renderParagraphs(paragraphs) {
  const items = paragraphs.map((p) => {
    const li = document.createElement("li");
    li.className = "paragraph";
    li.id = `paragraph-${p.index}`;
    li.dataset.index = p.index;
    li.dataset.label = p.label;
    li.dataset.polarity = p.polarity;
    // Shade: faint for a balanced paragraph (polarity 0), strong for a certain one (|polarity| 1).
    li.style.setProperty("--tint", (0.06 + 0.3 * Math.min(1, Math.abs(p.polarity))).toFixed(3));
    const head = document.createElement("div");
    head.className = "paragraph-head";
    const strong = document.createElement("strong");
    strong.className = "paragraph-label";
    strong.textContent = p.label;
    // score: the probability of the paragraph's label (null for a neutral label the model has no class for).
    const sure = p.score === null || p.score === undefined ? "" : ` · probability ${fmt(p.score)}`;
    head.append(`¶ ${p.index + 1} · `, strong, ` · polarity ${signed(p.polarity)}${sure} · ${p.words} words`);
    const text = document.createElement("p");
    text.className = "paragraph-text";
    text.textContent = p.text;
    li.append(head, text);
    return li;
  });
  $("paragraphs").replaceChildren(...items);
}

// Replace a paragraph's plain text with text + <mark> tokens (only tokens that matter are marked).
function highlight(paragraph, explanation) {
  const li = $(`paragraph-${paragraph.index}`);
  if (!li) return [];
  const located = explanation.tokens.filter((t) => t.start !== null && t.end !== null && t.contribution !== 0);
  const strongest = Math.max(0, ...located.map((t) => Math.abs(t.contribution)));
  if (strongest === 0) return [];
  // Mark the tokens that matter: at least a fifth of the strongest push, at most MAX_MARKS per paragraph.
  const chosen = [...located]
    .filter((t) => Math.abs(t.contribution) >= MIN_MARK_SHARE * strongest)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, MAX_MARKS)
    .sort((a, b) => a.start - b.start);
  const chars = Array.from(paragraph.text);
  const nodes = [];
  let at = 0;
  const marked = [];
  for (const t of chosen) {
    const weight = Math.abs(t.contribution) / strongest;
    if (t.start < at) continue; // overlaps an earlier mark
    nodes.push(chars.slice(at, t.start).join(""));
    const mark = document.createElement("mark");
    mark.className = `token ${t.contribution > 0 ? "token-pos" : "token-neg"}`;
    mark.dataset.contribution = t.contribution;
    mark.dataset.token = t.token;
    mark.style.setProperty("--strength", (0.2 + 0.6 * weight).toFixed(3));
    mark.title = `${t.token}: ${t.contribution > 0 ? "+" : ""}${fmt(t.contribution, 3)}`;
    mark.textContent = chars.slice(t.start, t.end).join("");
    nodes.push(mark);
    marked.push(t);
    at = t.end;
  }
  nodes.push(chars.slice(at).join(""));
  li.querySelector(".paragraph-text").replaceChildren(...nodes);
  return marked;
}

function renderTopTokens(tokens) {
  const best = new Map(); // token -> contribution with the largest magnitude
  for (const t of tokens) {
    const old = best.get(t.token);
    if (old === undefined || Math.abs(t.contribution) > Math.abs(old)) best.set(t.token, t.contribution);
  }
  const sorted = [...best.entries()].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, 12);
  $("top-tokens").replaceChildren(...sorted.map(([token, c]) => {
    const li = document.createElement("li");
    li.className = `token ${c > 0 ? "token-pos" : "token-neg"}`;
    li.textContent = `${token} ${c > 0 ? "+" : ""}${fmt(c)}`;
    return li;
  }));
}

// --------------------------------------------------------------------------------------------- the run
// Each token's push towards positive and away from negative. With both labels and more (a neutral class),
// that is its contribution to "positive" minus its contribution to "negative" (for a linear softmax model,
// exactly its term in the log-odds of positive against negative); with two classes, "positive" alone is
// the log-odds already. Without those labels: the contribution to the paragraph's own label.
async function explainPolarity(text, model, labels) {
  const polar = labels.includes("positive") && labels.includes("negative");
  if (!polar) return api("/v1/explain", { text, model });
  if (labels.length === 2) return api("/v1/explain", { text, model, target: "positive" });
  const [towards, away] = await Promise.all([
    api("/v1/explain", { text, model, target: "positive" }),
    api("/v1/explain", { text, model, target: "negative" }),
  ]);
  if (towards.tokens.length !== away.tokens.length) return towards;
  const tokens = towards.tokens.map((t, i) => ({ ...t, contribution: t.contribution - away.tokens[i].contribution }));
  return { ...towards, tokens };
}

async function explainAll(run, paragraphs, model, labels) {
  const all = [];
  let next = 0;
  let failed = 0;
  async function worker() {
    while (next < paragraphs.length && run === state.runId) {
      const p = paragraphs[next++];
      try {
        const explanation = await explainPolarity(p.text, model, labels);
        if (run !== state.runId) return;
        all.push(...highlight(p, explanation));
      } catch (err) {
        failed += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(EXPLAIN_CONCURRENCY, paragraphs.length) }, worker));
  return { tokens: all, failed };
}

// Forget the previous result at once, so an old answer is never shown as the answer to a new text.
function clearResult() {
  $("results").hidden = true;
  $("result-label").textContent = "";
  $("result-polarity").textContent = "";
  $("result-summary").textContent = "";
  $("share-bar").replaceChildren();
  $("top-tokens").replaceChildren();
  $("paragraphs").replaceChildren();
  setStatus("");
  showError("");
}

async function onSubmit(event) {
  event.preventDefault();
  const text = $("text-input").value;
  const run = ++state.runId; // a run still in flight sees this and drops its answer
  clearResult();
  if (!text.trim()) {
    $("results").setAttribute("aria-busy", "false");
    $("analyze-button").disabled = false;
    showError("Nothing to analyze: paste or type some text first.");
    $("text-input").focus();
    return;
  }
  const model = $("model-select").value || undefined;
  const words = parseInt($("words-input").value, 10) || undefined;
  const labels = selectedLabels();
  const polar = labels.includes("positive") && labels.includes("negative");
  const results = $("results");
  const button = $("analyze-button");
  button.disabled = true;
  results.setAttribute("aria-busy", "true");
  setStatus("Analyzing…");
  try {
    const result = await api("/v1/analyze", { document: text, words, model });
    if (run !== state.runId) return;
    renderVerdict(result);
    renderParagraphs(result.paragraphs);
    $("top-tokens").replaceChildren();
    $("legend-towards").textContent = polar ? "positive" : "the paragraph's label";
    $("legend-away").textContent = polar ? "negative" : "the other labels";
    results.hidden = false;
    setStatus(`Scored ${result.paragraphs.length} paragraph(s); finding the words that mattered…`);
    const { tokens, failed } = await explainAll(run, result.paragraphs, model, labels);
    if (run !== state.runId) return;
    renderTopTokens(tokens);
    setStatus(`Done: ${result.paragraphs.length} paragraph(s), ${tokens.length} highlighted word(s)` +
              (failed ? `; ${failed} paragraph(s) could not be explained` : "") + ".");
  } catch (err) {
    if (run !== state.runId) return;
    showError(err.message);
    setStatus("");
  } finally {
    if (run === state.runId) {
      button.disabled = false;
      results.setAttribute("aria-busy", "false");
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("analyze-form").addEventListener("submit", onSubmit);
  $("text-input").addEventListener("input", updateCharCount);
  $("example-button").addEventListener("click", () => {
    $("text-input").value = EXAMPLE;
    updateCharCount();
    $("text-input").focus();
  });
  loadModels();
});
