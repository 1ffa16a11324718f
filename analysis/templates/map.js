// Interactive scenes map: canvas scatter with zoom/pan, hover, search, click-for-neighbours,
// a scene legend, labels placed without overlaps, links filtered by interaction type, and the
// view kept in the URL (#v=x,y,zoom&s=point&c=colouring&k=types&t=slice) so a link reopens it.
// A sliced page (one aligned map per time slice) adds a slider between the slices.
// Every name comes from untrusted profiles: only textContent / fillText, never innerHTML.
(function () {
  "use strict";
  const started = performance.now();
  const source = JSON.parse(document.getElementById("map-data").textContent);
  // A sliced page holds one map per time slice; `data` is always the map shown (for a slice: its
  // points with their names, links and followers taken from the shared account table).
  const slices = Array.isArray(source.slices) && source.slices.length ? source.slices : null;
  let data = slices ? sliceData(0) : source, count = data.x.length, sliceIndex = 0;
  function sliceData(k) {
    const part = slices[k], accounts = source.account;
    return Object.assign({}, part, {
      title: source.title, profileUrl: source.profileUrl, kinds: source.kinds,
      name: part.point.map((a) => accounts.name[a]), permalink: part.point.map((a) => accounts.permalink[a]),
      followers: part.point.map((a) => accounts.followers[a]),
    });
  }
  const canvas = document.getElementById("map");
  const context = canvas.getContext("2d");
  const tooltip = document.getElementById("tooltip");
  const searchBox = document.getElementById("search");
  const resultList = document.getElementById("results");
  const statusLine = document.getElementById("status");
  const panel = document.getElementById("panel");
  const GREY = "#b8b8b8", HOVER_RADIUS_PX = 9, MAX_RESULTS = 20, MAX_NAME_LABELS = 40, LABEL_SCAN = 4000;
  const KIND_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  const FONT_STACK = 'system-ui, "Noto Sans", "Noto Sans CJK JP", "Noto Color Emoji", sans-serif';

  const view = { scale: 1, fitScale: 1, tx: 0, ty: 0, dpr: 1 };
  const state = { hovered: -1, selected: -1, matches: [], colouring: 0, kinds: (1 << data.kinds.length) - 1 };
  const api = {
    pointCount: count, drawnPoints: 0, lastOpenedUrl: null, labelBoxes: [], firstPaintMs: null, lastDrawMs: null,
    select: (i) => { select(i, true); draw(); }, search: (q) => runSearch(q), screenPosition: screenPosition,
    zoomToScene: (k) => zoomToScene(k), zoomBy: (factor) => zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, factor, true),
    viewState: () => ({ zoom: view.scale / view.fitScale, centre: toData(canvas.clientWidth / 2, canvas.clientHeight / 2),
                        selected: state.selected, colouring: state.colouring, kinds: state.kinds,
                        slice: slices ? slices[sliceIndex].label : null }),
    setKinds: (mask) => setKinds(mask), visibleLinks: [],
    slices: slices ? slices.map((part) => part.label) : [], slice: () => (slices ? slices[sliceIndex].label : null),
    setSlice: (k) => setSlice(k), shownNames: () => data.name.slice(),
  };
  window.scmapMap = api;

  // The view fits every slice (they share one aligned space), so the slider never moves the camera.
  const fit = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  for (const part of slices || [data]) {
    for (const v of part.x) { if (v < fit.minX) fit.minX = v; if (v > fit.maxX) fit.maxX = v; }
    for (const v of part.y) { if (v < fit.minY) fit.minY = v; if (v > fit.maxY) fit.maxY = v; }
  }
  if (fit.minX > fit.maxX) { fit.minX = fit.minY = -1; fit.maxX = fit.maxY = 1; }

  // Everything derived from the points shown: rebuilt when the slider changes the slice.
  const GRID = 256;
  const cellKey = (cx, cy) => cx * 100003 + cy;
  const median = (values) => { values.sort((a, b) => a - b); return values.length ? values[values.length >> 1] : 0; };
  const quantile = (values, q) => values[Math.min(values.length - 1, Math.max(0, Math.floor(q * (values.length - 1))))];
  let xs, ys, minX, maxX, minY, maxY, cellSize, grid, sizeFactor, byFollowers, sceneGeometry;
  function prepare() {
    count = data.x.length;
    api.pointCount = count;
    xs = Float64Array.from(data.x); ys = Float64Array.from(data.y);
    minX = Infinity; maxX = -Infinity; minY = Infinity; maxY = -Infinity;
    for (let i = 0; i < count; i++) {
      if (xs[i] < minX) minX = xs[i]; if (xs[i] > maxX) maxX = xs[i];
      if (ys[i] < minY) minY = ys[i]; if (ys[i] > maxY) maxY = ys[i];
    }
    if (!count) { minX = minY = -1; maxX = maxY = 1; }
    // Grid index for nearest-point lookups under the mouse.
    cellSize = Math.max(maxX - minX, maxY - minY, 1e-9) / GRID;
    grid = new Map();
    for (let i = 0; i < count; i++) {
      const key = cellKey(Math.floor((xs[i] - minX) / cellSize), Math.floor((ys[i] - minY) / cellSize));
      let cell = grid.get(key);
      if (!cell) { cell = []; grid.set(key, cell); }
      cell.push(i);
    }
    // Point size by followers (log scale): 0.6x for unknown / tiny accounts up to 2.2x for the largest.
    let maxLogFollowers = 1;
    for (let i = 0; i < count; i++) maxLogFollowers = Math.max(maxLogFollowers, Math.log1p(data.followers[i] || 0));
    sizeFactor = new Float32Array(count);
    for (let i = 0; i < count; i++) sizeFactor[i] = 0.6 + 1.6 * Math.log1p(data.followers[i] || 0) / maxLogFollowers;
    // Most followed first: the order in which account names compete for label room.
    byFollowers = Array.from({ length: count }, (_, i) => i)
      .sort((a, b) => (data.followers[b] || 0) - (data.followers[a] || 0) || a - b);
    // Scene centres (median of members: robust to a few far-flung points) and extents for zooming.
    const members = data.scenes.map(() => ({ x: [], y: [] }));  // one pass over the points
    for (let i = 0; i < count; i++) { const k = data.scene[i]; if (k >= 0 && members[k]) { members[k].x.push(xs[i]); members[k].y.push(ys[i]); } }
    sceneGeometry = members.map(({ x: mx, y: my }) => {
      const cx = median(mx), cy = median(my);  // sorts mx, my in place
      return { x: cx, y: cy, x0: quantile(mx, 0.02), x1: quantile(mx, 0.98), y0: quantile(my, 0.02), y1: quantile(my, 0.98) };
    });
  }
  prepare();

  // The slider: show slice k, keeping the selected account (when it is in slice k), the search,
  // the colouring and the view.
  function loadSlice(k) {
    if (!slices || !(k >= 0 && k < slices.length)) return false;
    const account = state.selected >= 0 ? slices[sliceIndex].point[state.selected] : -1;
    sliceIndex = k;
    data = sliceData(k);
    prepare();
    state.hovered = -1;
    state.selected = account >= 0 ? slices[k].point.indexOf(account) : -1;
    showSliceCaption();
    return true;
  }
  function showSliceCaption() {
    document.getElementById("slice").value = String(sliceIndex);
    document.getElementById("slice-label").textContent = `${slices[sliceIndex].label} \u00b7 ${count.toLocaleString("en")} accounts`;
  }
  function setSlice(k) {
    if (!loadSlice(Math.floor(Number(k)))) return;
    tooltip.hidden = true;
    if (state.selected >= 0) select(state.selected, false); else panel.hidden = true;
    if (searchBox.value) runSearch(searchBox.value);
    fillLegend();
    statusLine.textContent = `${count.toLocaleString("en")} accounts`;
    draw();
  }

  function colouring() { return data.colourings[state.colouring] || { categories: [], values: [] }; }
  function colourOf(i) {
    const c = colouring(), value = c.values[i];
    return value >= 0 && c.categories[value] ? c.categories[value].colour : GREY;
  }

  function toScreen(i) { return [xs[i] * view.scale + view.tx, -ys[i] * view.scale + view.ty]; }
  function screenPosition(i) { const r = canvas.getBoundingClientRect(); const p = toScreen(i); return [p[0] + r.left, p[1] + r.top]; }
  function toData(sx, sy) { return [(sx - view.tx) / view.scale, -(sy - view.ty) / view.scale]; }
  function centreOn(x, y, scale) {
    view.scale = scale;
    view.tx = canvas.clientWidth / 2 - x * scale;
    view.ty = canvas.clientHeight / 2 + y * scale;
  }

  function fitView() {
    const width = canvas.clientWidth, height = canvas.clientHeight, margin = 40;
    view.fitScale = Math.min((width - 2 * margin) / Math.max(fit.maxX - fit.minX, 1e-9),
                             (height - 2 * margin) / Math.max(fit.maxY - fit.minY, 1e-9));
    centreOn((fit.minX + fit.maxX) / 2, (fit.minY + fit.maxY) / 2, view.fitScale);
  }

  function resize() {
    view.dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * view.dpr);
    canvas.height = Math.round(canvas.clientHeight * view.dpr);
    draw();
  }

  let drawQueued = false;
  function requestDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; draw(); });
  }

  function baseRadius() {
    return Math.max(0.8, Math.min(5, 1.6 * Math.sqrt(view.scale / view.fitScale) * Math.min(1, 30 / Math.sqrt(count + 1) + 0.4)));
  }

  function draw() {
    const began = performance.now();
    const width = canvas.clientWidth, height = canvas.clientHeight;
    context.setTransform(view.dpr, 0, 0, view.dpr, 0, 0);
    context.clearRect(0, 0, width, height);
    const radius = baseRadius();
    // One path per colour: fast enough for 100,000 points.
    const byColour = new Map();
    let drawn = 0;
    const margin = radius * 2.2;
    for (let i = 0; i < count; i++) {
      const sx = xs[i] * view.scale + view.tx, sy = -ys[i] * view.scale + view.ty;
      if (sx < -margin || sy < -margin || sx > width + margin || sy > height + margin) continue;
      const colour = colourOf(i);
      let list = byColour.get(colour);
      if (!list) { list = []; byColour.set(colour, list); }
      list.push(i);
      drawn++;
    }
    context.globalAlpha = 0.8;
    for (const [colour, points] of byColour) {
      context.fillStyle = colour;
      context.beginPath();
      for (const i of points) {
        const sx = xs[i] * view.scale + view.tx, sy = -ys[i] * view.scale + view.ty, r = radius * sizeFactor[i];
        context.moveTo(sx + r, sy);
        context.arc(sx, sy, r, 0, 2 * Math.PI);
      }
      context.fill();
    }
    context.globalAlpha = 1;
    api.drawnPoints = drawn;
    drawLinks(radius);
    context.lineWidth = 2;
    for (const i of state.matches) ring(i, radius * sizeFactor[i] + 3, "#111");
    if (state.selected >= 0) ring(state.selected, radius * sizeFactor[state.selected] + 5, "#e0218a");
    if (state.hovered >= 0) ring(state.hovered, radius * sizeFactor[state.hovered] + 2, "#000");
    placeLabels(width, height, radius);
    api.lastDrawMs = performance.now() - began;
    scheduleUrlUpdate();
  }

  // Links from the selected account to its strongest neighbours on the map, one colour per
  // interaction type; only the types ticked in the legend (scores are never re-weighted).
  function drawLinks(radius) {
    api.visibleLinks = [];
    if (state.selected < 0) return;
    const [sx, sy] = toScreen(state.selected);
    context.lineWidth = 1.5;
    for (const [ref, , bits] of data.neighbours[state.selected] || []) {
      const shown = bits & state.kinds;
      if (ref < 0 || !shown) continue;
      const kind = Math.log2(shown & -shown);  // lowest ticked type behind this link
      const [tx, ty] = toScreen(ref);
      context.strokeStyle = KIND_COLOURS[kind % KIND_COLOURS.length];
      context.beginPath(); context.moveTo(sx, sy); context.lineTo(tx, ty); context.stroke();
      api.visibleLinks.push({ to: ref, kinds: data.kinds.filter((_, t) => shown & (1 << t)) });
    }
  }

  // Greedy label placement: the selected account, scene labels (largest scene first), then
  // account names by followers; a label is drawn only where it overlaps none already placed,
  // so labels never overlap at any zoom. Widths come from measureText, so any script fits.
  const textWidths = new Map();  // measureText is the costly part of placing labels
  function placeLabels(width, height, radius) {
    const placed = [];
    const fits = (box) => box.x >= 0 && box.y >= 0 && box.x + box.w <= width && box.y + box.h <= height &&
      !placed.some((o) => box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h);
    const tryLabel = (text, sx, sy, font, colour, centred) => {
      context.font = font;
      const key = font + "\u0000" + text;
      let w = textWidths.get(key);
      if (w === undefined) { w = context.measureText(text).width + 6; textWidths.set(key, w); }
      const h = parseInt(font.match(/(\d+)px/)[1], 10) + 4;
      const box = { x: centred ? sx - w / 2 : sx, y: sy - h / 2, w: w, h: h, text: text };
      if (!fits(box)) return false;
      placed.push(box);
      context.textAlign = "left";
      context.textBaseline = "middle";
      context.lineWidth = 4; context.strokeStyle = "rgba(255,255,255,0.85)";
      context.strokeText(text, box.x + 3, sy); context.fillStyle = colour; context.fillText(text, box.x + 3, sy);
      return true;
    };
    const sceneFont = `bold 13px ${FONT_STACK}`, nameFont = `12px ${FONT_STACK}`;
    if (state.selected >= 0) {
      const [sx, sy] = toScreen(state.selected);
      tryLabel(String(data.name[state.selected]), sx + radius * sizeFactor[state.selected] + 5, sy, `bold 12px ${FONT_STACK}`, "#111", false);
    }
    if (state.colouring === 0) {
      data.scenes.forEach((scene, k) => {
        const g = sceneGeometry[k];
        tryLabel(scene.label, g.x * view.scale + view.tx, -g.y * view.scale + view.ty, sceneFont, scene.colour, true);
      });
    }
    let names = 0;
    for (let n = 0; n < Math.min(count, LABEL_SCAN) && names < MAX_NAME_LABELS; n++) {
      const i = byFollowers[n];
      if (i === state.selected) continue;
      const [sx, sy] = toScreen(i);
      if (sx < 0 || sy < 0 || sx > width || sy > height) continue;
      if (tryLabel(String(data.name[i]), sx + radius * sizeFactor[i] + 3, sy, nameFont, "#333", false)) names++;
    }
    context.textBaseline = "alphabetic";
    api.labelBoxes = placed;
  }

  function ring(i, r, colour) {
    const [sx, sy] = toScreen(i);
    context.strokeStyle = colour;
    context.beginPath();
    context.arc(sx, sy, r, 0, 2 * Math.PI);
    context.stroke();
  }

  function nearestPoint(sx, sy) {
    const [dx, dy] = toData(sx, sy);
    const reach = HOVER_RADIUS_PX / view.scale;
    const cx0 = Math.floor((dx - reach - minX) / cellSize), cx1 = Math.floor((dx + reach - minX) / cellSize);
    const cy0 = Math.floor((dy - reach - minY) / cellSize), cy1 = Math.floor((dy + reach - minY) / cellSize);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 4096) return -1;  // zoomed far out: too coarse to point at one account
    let best = -1, bestDistance = reach * reach;
    for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
      const cell = grid.get(cellKey(cx, cy));
      if (!cell) continue;
      for (const i of cell) {
        const distance = (xs[i] - dx) ** 2 + (ys[i] - dy) ** 2;
        if (distance <= bestDistance) { best = i; bestDistance = distance; }
      }
    }
    return best;
  }

  const formatFollowers = (f) => (f === null || f === undefined ? "followers unknown" : `${Number(f).toLocaleString("en")} followers`);
  const profileUrl = (permalink) => data.profileUrl + encodeURIComponent(permalink);

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function showTooltip(i, clientX, clientY) {
    const lines = [element("div", data.name[i], "name"), element("div", data.permalink[i] || "", "sub permalink"),
                   element("div", formatFollowers(data.followers[i]), "sub")];
    for (const [field, values] of Object.entries(data.fields)) lines.push(element("div", `${field}: ${values[i]}`, "sub"));
    tooltip.replaceChildren(...lines);
    tooltip.hidden = false;
    tooltip.style.left = `${clientX + 14}px`;
    tooltip.style.top = `${clientY + 12}px`;
  }

  function kindNames(bits) { return data.kinds.filter((_, t) => bits & (1 << t)); }

  function select(i, centre) {
    if (i < 0 || i >= count) return;
    state.selected = i;
    if (centre) centreOn(xs[i], ys[i], Math.max(view.scale, view.fitScale * 4));
    document.getElementById("panel-name").textContent = data.name[i];
    const link = document.getElementById("panel-link");
    link.textContent = data.permalink[i] ? `soundcloud: ${data.permalink[i]}` : "";
    link.href = data.permalink[i] ? profileUrl(data.permalink[i]) : "#";
    document.getElementById("panel-followers").textContent = formatFollowers(data.followers[i]);
    const scene = data.scene[i];
    document.getElementById("panel-cluster").textContent = scene >= 0 ? `scene: ${data.scenes[scene].label}` : "";
    fillNeighbours();
    panel.hidden = false;
    requestDraw();
  }

  function fillNeighbours() {
    const list = document.getElementById("panel-neighbours");
    list.replaceChildren();
    if (state.selected < 0) return;
    for (const [ref, share, bits] of data.neighbours[state.selected] || []) {
      const onMap = ref >= 0;
      const item = element("li", onMap ? data.name[ref] : data.otherName[-1 - ref], onMap ? "on-map" : "");
      item.appendChild(element("span", `${(share * 100).toFixed(1)}%`, "permalink"));
      if (data.kinds.length) item.appendChild(element("span", kindNames(bits).join(" · "), "kinds"));
      if (data.kinds.length && !(bits & state.kinds)) item.classList.add("filtered");
      if (onMap) item.addEventListener("click", () => select(ref, true));
      list.appendChild(item);
    }
  }

  function openProfile(i) {
    if (!data.permalink[i]) return;
    api.lastOpenedUrl = profileUrl(data.permalink[i]);
    window.open(api.lastOpenedUrl, "_blank", "noopener");
  }

  function runSearch(query) {
    const needle = query.trim().toLowerCase();
    state.matches = [];
    resultList.replaceChildren();
    if (!needle) { resultList.hidden = true; statusLine.textContent = ""; requestDraw(); return []; }
    for (let i = 0; i < count; i++) {
      if (String(data.name[i]).toLowerCase().includes(needle) || String(data.permalink[i] || "").toLowerCase().includes(needle)) {
        state.matches.push(i);
      }
    }
    // Exact and prefix matches first, then the most followed.
    const rank = (i) => { const name = String(data.name[i]).toLowerCase(), slug = String(data.permalink[i] || "").toLowerCase();
      return name === needle || slug === needle ? 0 : name.startsWith(needle) || slug.startsWith(needle) ? 1 : 2; };
    state.matches.sort((a, b) => rank(a) - rank(b) || (data.followers[b] || 0) - (data.followers[a] || 0));
    for (const i of state.matches.slice(0, MAX_RESULTS)) {
      const item = element("li", data.name[i]);
      item.appendChild(element("span", data.permalink[i] || "", "permalink"));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); select(i, true); resultList.hidden = true; });
      resultList.appendChild(item);
    }
    resultList.hidden = state.matches.length === 0;
    statusLine.textContent = `${state.matches.length.toLocaleString("en")} match${state.matches.length === 1 ? "" : "es"}`;
    requestDraw();
    return state.matches.slice();
  }

  function zoomToScene(k) {
    const g = sceneGeometry[k];
    if (!g) return;
    const width = canvas.clientWidth, height = canvas.clientHeight, margin = 60;
    const scale = Math.min((width - 2 * margin) / Math.max(g.x1 - g.x0, 1e-9), (height - 2 * margin) / Math.max(g.y1 - g.y0, 1e-9));
    centreOn((g.x0 + g.x1) / 2, (g.y0 + g.y1) / 2, Math.min(scale, view.fitScale * 2000));
    draw();
  }

  function zoomAt(sx, sy, factor, now) {
    const scale = Math.min(view.fitScale * 2000, Math.max(view.fitScale * 0.2, view.scale * factor));
    view.tx = sx - (sx - view.tx) * (scale / view.scale);
    view.ty = sy - (sy - view.ty) * (scale / view.scale);
    view.scale = scale;
    if (now) { draw(); return api.lastDrawMs; }
    requestDraw();
    return null;
  }

  function setKinds(mask) {
    state.kinds = mask;
    document.querySelectorAll("#kinds input").forEach((box) => { box.checked = Boolean(mask & (1 << Number(box.value))); });
    fillNeighbours();
    draw();
  }

  // Legend: colour-by choice, the scenes of the chosen colouring (click: zoom there) and the
  // interaction types whose links are drawn.
  function buildLegend() {
    const chooser = document.getElementById("colour-by");
    chooser.replaceChildren(...data.colourings.map((c, n) => { const o = element("option", c.name); o.value = String(n); return o; }));
    chooser.value = String(state.colouring);
    chooser.closest(".legend-row").hidden = data.colourings.length < 2;
    chooser.addEventListener("change", () => { state.colouring = Number(chooser.value); fillLegend(); draw(); });
    const kinds = document.getElementById("kinds");
    kinds.replaceChildren();
    data.kinds.forEach((kind, t) => {
      const label = element("label");
      const box = element("input");
      box.type = "checkbox"; box.value = String(t); box.checked = Boolean(state.kinds & (1 << t));
      box.addEventListener("change", () => setKinds(box.checked ? state.kinds | (1 << t) : state.kinds & ~(1 << t)));
      const swatch = element("span", "", "swatch");
      swatch.style.background = KIND_COLOURS[t % KIND_COLOURS.length];
      label.append(box, swatch, element("span", kind));
      kinds.appendChild(label);
    });
    kinds.parentElement.hidden = data.kinds.length === 0;
    if (slices) {
      const slider = document.getElementById("slice");
      slider.max = String(slices.length - 1);
      showSliceCaption();
      slider.addEventListener("input", () => setSlice(Number(slider.value)));
      document.getElementById("slices").hidden = false;
    }
    fillLegend();
  }

  function fillLegend() {
    const list = document.getElementById("legend-scenes");
    list.replaceChildren();
    document.getElementById("legend-title").textContent = state.colouring === 0 ? "Scenes" : `By ${colouring().name}`;
    document.getElementById("legend-hint").hidden = state.colouring !== 0;
    if (state.colouring === 0) {
      data.scenes.forEach((scene, k) => {
        const item = element("li");
        const swatch = element("span", "", "swatch");
        swatch.style.background = scene.colour;
        item.append(swatch, element("span", scene.label, "scene-label"), element("span", `${scene.size.toLocaleString("en")}`, "size"));
        item.appendChild(element("div", scene.central.map((i) => data.name[i]).join(", "), "central"));
        item.addEventListener("click", () => zoomToScene(k));
        list.appendChild(item);
      });
    } else {
      colouring().categories.forEach((category) => {
        const item = element("li");
        const swatch = element("span", "", "swatch");
        swatch.style.background = category.colour;
        item.append(swatch, element("span", category.label, "scene-label"));
        list.appendChild(item);
      });
    }
  }

  // The view in the URL: #v=<centre x>,<centre y>,<zoom>&s=<selected point>&c=<colouring>&k=<types mask>
  // &t=<slice label>.
  let urlTimer = null;
  function scheduleUrlUpdate() {
    if (urlTimer !== null || !ready) return;
    urlTimer = setTimeout(() => { urlTimer = null; writeUrl(); }, 150);
  }
  function writeUrl() {
    const [cx, cy] = toData(canvas.clientWidth / 2, canvas.clientHeight / 2);
    const parts = [`v=${cx.toFixed(3)},${cy.toFixed(3)},${(view.scale / view.fitScale).toFixed(4)}`];
    if (state.selected >= 0) parts.push(`s=${state.selected}`);
    if (state.colouring) parts.push(`c=${state.colouring}`);
    if (state.kinds !== (1 << data.kinds.length) - 1) parts.push(`k=${state.kinds}`);
    if (slices) parts.push(`t=${encodeURIComponent(slices[sliceIndex].label)}`);
    history.replaceState(null, "", `#${parts.join("&")}`);
    api.url = location.href;
  }
  function readUrl() {
    const params = new URLSearchParams(location.hash.slice(1));
    // Number(null) and Number("") are 0: a parameter that is absent must stay absent.
    const number = (text) => { const value = text === null || text.trim() === "" ? NaN : Number(text); return Number.isFinite(value) ? value : null; };
    if (slices && params.has("t")) loadSlice(slices.findIndex((part) => part.label === params.get("t")));  // first: s counts its points
    const c = number(params.get("c"));
    if (c !== null && c >= 0 && c < data.colourings.length) state.colouring = Math.floor(c);
    const k = number(params.get("k"));
    if (k !== null && k >= 0) state.kinds = Math.floor(k) & ((1 << data.kinds.length) - 1);
    const v = (params.get("v") || "").split(",").map(number);
    if (v.length === 3 && v.every((value) => value !== null) && v[2] > 0) {
      centreOn(v[0], v[1], view.fitScale * Math.min(2000, Math.max(0.2, v[2])));
    }
    const s = number(params.get("s"));
    if (s !== null && s >= 0 && s < count) select(Math.floor(s), false);
  }

  searchBox.addEventListener("input", () => runSearch(searchBox.value));
  searchBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && state.matches.length) { select(state.matches[0], true); resultList.hidden = true; }
    if (event.key === "Escape") { searchBox.value = ""; runSearch(""); }
  });
  document.getElementById("panel-close").addEventListener("click", () => { panel.hidden = true; state.selected = -1; requestDraw(); });

  // Pan by dragging; a press released without moving is a click.
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (drag) {
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; canvas.classList.add("dragging"); }
      if (drag.moved) { view.tx = drag.tx + dx; view.ty = drag.ty + dy; tooltip.hidden = true; requestDraw(); return; }
    }
    const rect = canvas.getBoundingClientRect();
    const i = nearestPoint(event.clientX - rect.left, event.clientY - rect.top);
    if (i !== state.hovered) { state.hovered = i; requestDraw(); }
    if (i >= 0) showTooltip(i, event.clientX, event.clientY); else tooltip.hidden = true;
  });
  canvas.addEventListener("pointerup", (event) => {
    const wasClick = drag && !drag.moved;
    drag = null;
    canvas.classList.remove("dragging");
    if (!wasClick) return;
    const rect = canvas.getBoundingClientRect();
    const i = nearestPoint(event.clientX - rect.left, event.clientY - rect.top);
    if (i >= 0) { select(i, false); openProfile(i); }
  });
  canvas.addEventListener("pointerleave", () => { tooltip.hidden = true; if (state.hovered >= 0) { state.hovered = -1; requestDraw(); } });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    zoomAt(event.clientX - rect.left, event.clientY - rect.top, Math.exp(-event.deltaY * 0.0015), false);
  }, { passive: false });
  window.addEventListener("resize", resize);

  let ready = false;
  fitView();
  view.dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(canvas.clientWidth * view.dpr);
  canvas.height = Math.round(canvas.clientHeight * view.dpr);
  readUrl();
  buildLegend();
  draw();
  ready = true;
  api.firstPaintMs = performance.now();  // since navigation began: parsing the data included
  api.scriptMs = performance.now() - started;
  statusLine.textContent = `${count.toLocaleString("en")} accounts`;
  document.title = data.title;
})();
