// Interactive scenes map for up to a million points and more: points drawn with WebGL on a
// hardware GPU, else by a typed-array splatter (docs/analysis.md says why); links, rings and
// labels on a 2-D overlay. Zoom/pan, hover, search, click-for-neighbours (and the tracks tying
// a link), a scene legend, labels placed without overlaps and never under the panels, links
// filtered by interaction type, and the view kept in the URL
// (#v=x,y,zoom&s=point&c=colouring&k=types&t=slice; r=gl|cpu forces a renderer) so a link
// reopens it. A sliced page (one aligned map per time slice) adds a slider between the slices.
// The data is binary (analysis/page_format.py): what the first paint needs is decoded first,
// names and links right after. Every name comes from untrusted profiles: only textContent /
// fillText, never innerHTML.
(function () {
  "use strict";
  const started = performance.now();
  const header = JSON.parse(document.getElementById("map-data").textContent);
  const slices = header.slices, sliced = header.sliced;
  const TYPED = { f4: Float32Array, i4: Int32Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array };
  const FOLLOWERS_UNKNOWN = 0xFFFFFFFF;
  const canvas = document.getElementById("map");
  const overlay = document.getElementById("overlay");
  const context = overlay.getContext("2d");
  const tooltip = document.getElementById("tooltip");
  const searchBox = document.getElementById("search");
  const resultList = document.getElementById("results");
  const statusLine = document.getElementById("status");
  const panel = document.getElementById("panel");
  const GREY = "#b8b8b8", BACKGROUND = [0xfa, 0xfa, 0xfa], POINT_ALPHA = 0.8;
  const HOVER_RADIUS_PX = 9, MAX_RESULTS = 20, MAX_NAME_LABELS = 40, LABEL_SCAN = 4000, MAX_RINGS = 2000;
  const KIND_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  const FONT_STACK = 'system-ui, "Noto Sans", "Noto Sans CJK JP", "Noto Color Emoji", sans-serif';

  const view = { scale: 1, fitScale: 1, tx: 0, ty: 0, dpr: 1 };
  const state = { hovered: -1, selected: -1, matches: [], colouring: 0, kinds: (1 << header.kinds.length) - 1, pendingSearch: null };
  const accounts = { followers: null, names: null, permalinks: null };
  let data = null, sliceIndex = 0, count = 0, ready = false, renderer = null;
  const api = {
    pointCount: 0, drawnPoints: 0, lastOpenedUrl: null, labelBoxes: [], firstPaintMs: null, lastDrawMs: null, ready: false,
    renderer: null, select: (i) => { select(i, true); draw(); }, search: (q) => runSearch(q), screenPosition: screenPosition,
    zoomToScene: (k) => zoomToScene(k), zoomBy: (factor) => zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, factor, true),
    viewState: () => ({ zoom: view.scale / view.fitScale, centre: toData(canvas.clientWidth / 2, canvas.clientHeight / 2),
                        selected: state.selected, colouring: state.colouring, kinds: state.kinds,
                        slice: sliced ? slices[sliceIndex].label : null }),
    setKinds: (mask) => setKinds(mask), visibleLinks: [],
    slices: sliced ? slices.map((part) => part.label) : [], slice: () => (sliced ? slices[sliceIndex].label : null),
    setSlice: (k) => setSlice(k), shownNames: () => Array.from({ length: count }, (_, i) => nameOf(i)),
    pixel: (x, y) => renderer.pixel(x, y), flush: () => { renderer.flush(); context.getImageData(0, 0, 1, 1); },
    obstacles: () => obstacles(), tying: (i) => tyingOf(i),
    point: (i) => ({ name: nameOf(i), permalink: permalinkOf(i), followers: followersOf(i), x: data.xs[i], y: data.ys[i],
                     colour: colourCodes()[i] - 1, fields: Object.fromEntries(fieldsOf(i)) }),
  };
  window.scmapMap = api;

  // ---- the binary data ------------------------------------------------------------------
  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const binary = atob(text), bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  async function loadBlob(name) {
    const block = document.getElementById(`map-blob-${name}`);
    const inflated = new Blob([base64Bytes(block.textContent.trim())]).stream().pipeThrough(new DecompressionStream("deflate"));
    const buffer = await new Response(inflated).arrayBuffer();
    block.textContent = "";  // the base64 text is not needed again
    const bytes = new Uint8Array(buffer), arrays = {};
    for (const [key, [code, offset, length]] of Object.entries(header.layouts[name])) {
      const size = TYPED[code].BYTES_PER_ELEMENT;
      if (size === 1) { arrays[key] = new Uint8Array(buffer, offset, length); continue; }
      const out = new Uint8Array(length * size);  // stored as byte planes (analysis/page_format.py)
      for (let b = 0; b < size; b++) {
        const plane = offset + b * length;
        for (let i = 0, o = b; i < length; i++, o += size) out[o] = bytes[plane + i];
      }
      arrays[key] = new TYPED[code](out.buffer);
    }
    return arrays;
  }
  // Strings: one UTF-8 byte array decoded to one string; a name is a slice of it, made when shown.
  function stringTable(arrays, prefix) {
    const lengths = arrays[prefix + "Len"], starts = new Uint32Array(lengths.length + 1);
    for (let i = 0; i < lengths.length; i++) starts[i + 1] = starts[i] + lengths[i];
    const text = new TextDecoder().decode(arrays[prefix + "Text"]);
    return { text: text, starts: starts, get: (i) => text.slice(starts[i], starts[i + 1]), lower: null };
  }
  const prefixSums = (counts) => { const out = new Uint32Array(counts.length + 1); for (let i = 0; i < counts.length; i++) out[i + 1] = out[i] + counts[i]; return out; };
  function sliceCore(k, core) {
    const part = slices[k];
    return { index: k, label: part.label, count: part.count, xs: core.x, ys: core.y, point: core.point || null,
             colourCodes: part.colourings.map((_, c) => core[`colour${c}`]), colourings: part.colourings, scenes: part.scenes,
             fields: part.fields, labelOrder: core.labelOrder, links: null, pointOfAccount: null };
  }
  function sliceLinks(k, links) {
    const out = { start: prefixSums(links.neighbourCount), ref: links.neighbourRef, share: links.neighbourShare, bits: links.neighbourBits,
                  otherName: stringTable(links, "otherName"), otherPermalink: stringTable(links, "otherPermalink"), tyingStart: null,
                  fieldCodes: slices[k].fields.map((_, f) => links[`field${f}`]) };
    if (links.tyingCount) {
      Object.assign(out, { tyingStart: prefixSums(links.tyingCount), tyingObject: links.tyingObject,
                           objectTitle: stringTable(links, "objectTitle"), objectPath: stringTable(links, "objectPath") });
    }
    return out;
  }
  const account = (i) => (data.point ? data.point[i] : i);
  const nameOf = (i) => (accounts.names ? accounts.names.get(account(i)) : header.shownNames[account(i)] || "");
  const permalinkOf = (i) => (accounts.permalinks ? accounts.permalinks.get(account(i)) : "");
  const followersOf = (i) => { const f = accounts.followers[account(i)]; return f === FOLLOWERS_UNKNOWN ? null : f; };
  const sceneTitle = (scene) => (scene.tags && scene.tags.length ? `${scene.tags.join(", ")} \u2014 ${scene.label}` : scene.label);

  // ---- geometry of the slice shown --------------------------------------------------------
  const fit = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  const loaded = [];  // per slice: its core (and links once decoded)
  let minX, maxX, minY, maxY, cellSize, grid, cellStart, cellPoints, sizeFactor, sceneGeometry;
  function prepare() {
    count = data.count;
    api.pointCount = count;
    const xs = data.xs, ys = data.ys;
    minX = Infinity; maxX = -Infinity; minY = Infinity; maxY = -Infinity;
    for (let i = 0; i < count; i++) {
      const x = xs[i], y = ys[i];
      if (x < minX) minX = x; if (x > maxX) maxX = x; if (y < minY) minY = y; if (y > maxY) maxY = y;
    }
    if (!count) { minX = minY = -1; maxX = maxY = 1; }
    // Grid index (counting sort into typed arrays) for nearest-point lookups under the mouse.
    grid = Math.max(256, Math.min(1024, Math.ceil(Math.sqrt(count) / 2)));
    cellSize = Math.max(maxX - minX, maxY - minY, 1e-9) / grid;
    const cellOf = new Uint32Array(count);
    cellStart = new Uint32Array(grid * grid + 1);
    for (let i = 0; i < count; i++) {
      const cx = Math.min(grid - 1, Math.floor((xs[i] - minX) / cellSize)), cy = Math.min(grid - 1, Math.floor((ys[i] - minY) / cellSize));
      cellOf[i] = cx * grid + cy;
      cellStart[cellOf[i] + 1]++;
    }
    for (let c = 0; c < grid * grid; c++) cellStart[c + 1] += cellStart[c];
    const fill = cellStart.slice(0, grid * grid);
    cellPoints = new Uint32Array(count);
    for (let i = 0; i < count; i++) cellPoints[fill[cellOf[i]]++] = i;
    // Point size by followers (log scale): 0.6x for unknown / tiny accounts up to 2.2x for the largest.
    let maxLog = 1;
    sizeFactor = new Float32Array(count);
    const followers = accounts.followers, point = data.point;
    for (let i = 0; i < count; i++) {
      const f = followers[point ? point[i] : i], size = f === FOLLOWERS_UNKNOWN ? 0 : Math.log1p(f);
      sizeFactor[i] = size;
      if (size > maxLog) maxLog = size;
    }
    for (let i = 0; i < count; i++) sizeFactor[i] = 0.6 + 1.6 * sizeFactor[i] / maxLog;
    if (sliced && !data.pointOfAccount) {
      data.pointOfAccount = new Int32Array(header.accounts).fill(-1);
      for (let i = 0; i < count; i++) data.pointOfAccount[data.point[i]] = i;
    }
    // Scene centres and 2-98 % extents (html_map._scene_boxes).
    sceneGeometry = data.scenes.map((scene) => { const [x, y, x0, x1, y0, y1] = scene.box; return { x, y, x0, x1, y0, y1 }; });
    renderer.setPoints(data, sizeFactor, { grid: grid, cellStart: cellStart, cellPoints: cellPoints, minX: minX, minY: minY, cellSize: cellSize });
    renderer.setColours(colourCodes(), palette());
  }

  // ---- colours ----------------------------------------------------------------------------
  function colouring() { return data.colourings[state.colouring] || { categories: [] }; }
  function colourCodes() { return data.colourCodes[state.colouring] || data.colourCodes[0]; }
  const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  function palette() {  // code 0: no category (grey), code c: category c - 1
    return [GREY, ...colouring().categories.map((c) => c.colour)].map((hex) => (/^#[0-9a-fA-F]{6}$/.test(hex) ? rgb(hex) : rgb(GREY)));
  }
  function colourOf(i) { const c = colourCodes()[i]; return c > 0 && colouring().categories[c - 1] ? colouring().categories[c - 1].colour : GREY; }

  // ---- the two point renderers ------------------------------------------------------------
  // Splatter: each point's disc written into one pixel buffer, colours pre-blended at the points'
  // alpha over the background; one putImageData per frame.
  function cpuRenderer() {
    const ctx = canvas.getContext("2d");
    // The points in grid-cell order (the hover grid's): a frame reads only the cells in view, and
    // reads them in memory order.
    let image = null, pixels = null, stamps = [], codes = null, colours = null, cells = null, xs = null, ys = null, sizes = null;
    const background = 0xff000000 | (BACKGROUND[2] << 16) | (BACKGROUND[1] << 8) | BACKGROUND[0];
    function stamp(twiceRadius) {  // pixel offsets of a disc of radius twiceRadius / 2
      if (stamps[twiceRadius]) return stamps[twiceRadius];
      const r = Math.max(0.5, twiceRadius / 2), reach = Math.ceil(r - 0.5), dxs = [], dys = [];
      for (let dy = -reach; dy <= reach; dy++) for (let dx = -reach; dx <= reach; dx++) if (dx * dx + dy * dy <= r * r || (dx === 0 && dy === 0)) { dxs.push(dx); dys.push(dy); }
      const offsets = Int32Array.from(dxs, (dx, n) => dys[n] * image.width + dx);
      return (stamps[twiceRadius] = { reach: reach, offsets: offsets, dxs: Int32Array.from(dxs), dys: Int32Array.from(dys) });
    }
    return {
      name: "cpu",
      resize(width, height) { image = ctx.createImageData(Math.max(1, width), Math.max(1, height)); pixels = new Uint32Array(image.data.buffer); stamps = []; },
      setPoints(slice, factors, index) {
        cells = index;
        const order = index.cellPoints, n = order.length;
        xs = new Float32Array(n); ys = new Float32Array(n); sizes = new Uint8Array(n);  // size factor in 1/16
        for (let k = 0; k < n; k++) { const i = order[k]; xs[k] = slice.xs[i]; ys[k] = slice.ys[i]; sizes[k] = Math.round(factors[i] * 16); }
      },
      setColours(newCodes, rgbs) {
        const order = cells.cellPoints;
        codes = new newCodes.constructor(order.length);
        for (let k = 0; k < order.length; k++) codes[k] = newCodes[order[k]];
        const blend = ([r, g, b]) => {
          const mix = (c, k) => Math.round(POINT_ALPHA * c + (1 - POINT_ALPHA) * BACKGROUND[k]);
          return (0xff000000 | (mix(b, 2) << 16) | (mix(g, 1) << 8) | mix(r, 0)) >>> 0;
        };
        // One entry per possible code (a code past the categories is grey), so the loop needs no check.
        colours = new Uint32Array(Math.max(rgbs.length, codes.BYTES_PER_ELEMENT === 1 ? 256 : 65536)).fill(blend(rgbs[0]));
        rgbs.forEach((colour, c) => { colours[c] = blend(colour); });
      },
      draw(radius) {  // radius in CSS px; returns the points whose centre is in view
        const W = image.width, H = image.height, d = view.dpr, s = view.scale * d, tx = view.tx * d, ty = view.ty * d;
        const rd = radius * d, maxTwice = 64, pad = Math.min(maxTwice, 2.2 * rd + 2);
        const { grid: g, cellStart: starts, minX: x0, minY: y0, cellSize: size } = cells;
        const column = (x) => Math.max(0, Math.min(g - 1, Math.floor(((x - tx) / s - x0) / size)));
        const row = (y) => Math.max(0, Math.min(g - 1, Math.floor(((ty - y) / s - y0) / size)));
        const cx0 = column(-pad), cx1 = column(W + pad), cy0 = row(H + pad), cy1 = row(-pad);
        pixels.fill(background);
        // The disc of each size class for this frame's radius (no per-point rounding or lookups).
        const discs = [], reaches = new Int32Array(64);
        for (let c = 0; c < 64; c++) { discs.push(stamp(Math.min(maxTwice, Math.max(1, Math.round(2 * rd * c / 16))))); reaches[c] = discs[c].reach; }
        let drawn = 0;
        for (let cx = cx0; cx <= cx1; cx++) {
          const end = starts[cx * g + cy1 + 1];
          for (let i = starts[cx * g + cy0]; i < end; i++) {
            const px = Math.round(xs[i] * s + tx), py = Math.round(-ys[i] * s + ty), c = sizes[i], reach = reaches[c];
            if (px < -reach || py < -reach || px >= W + reach || py >= H + reach) continue;
            if (px >= 0 && py >= 0 && px < W && py < H) drawn++;
            const colour = colours[codes[i]], st = discs[c], offsets = st.offsets, base = py * W + px;
            if (reach === 0) { if (px >= 0 && py >= 0 && px < W && py < H) pixels[base] = colour; continue; }
            if (px - reach >= 0 && py - reach >= 0 && px + reach < W && py + reach < H) {
              for (let k = 0; k < offsets.length; k++) pixels[base + offsets[k]] = colour;
            } else {
              for (let k = 0; k < offsets.length; k++) {
                const x = px + st.dxs[k], y = py + st.dys[k];
                if (x >= 0 && y >= 0 && x < W && y < H) pixels[y * W + x] = colour;
              }
            }
          }
        }
        ctx.putImageData(image, 0, 0);
        return drawn;
      },
      pixel(x, y) { const o = 4 * (Math.round(y * view.dpr) * image.width + Math.round(x * view.dpr)); return Array.from(image.data.slice(o, o + 4)); },
      flush() { ctx.getImageData(0, 0, 1, 1); },
    };
  }

  // WebGL: positions, sizes and colour codes uploaded once; a frame is one uniform and one draw call.
  function glRenderer(gl) {
    const vertex = `#version 300 es
      in float aX; in float aY; in float aSize; in float aCode;
      uniform vec3 uView; uniform vec2 uViewport; uniform float uRadius; uniform sampler2D uPalette; uniform float uColours;
      out vec3 vColour;
      void main() {
        vec2 p = vec2(aX * uView.x + uView.y, -aY * uView.x + uView.z);
        gl_Position = vec4(p.x / uViewport.x * 2.0 - 1.0, 1.0 - p.y / uViewport.y * 2.0, 0.0, 1.0);
        gl_PointSize = max(1.0, 2.0 * uRadius * aSize);
        vColour = texture(uPalette, vec2((aCode + 0.5) / uColours, 0.5)).rgb;
      }`;
    const fragment = `#version 300 es
      precision mediump float; in vec3 vColour; uniform float uAlpha; out vec4 colour;
      void main() { vec2 d = gl_PointCoord - 0.5; if (dot(d, d) > 0.25) discard; colour = vec4(vColour * uAlpha, uAlpha); }`;
    const compile = (type, source) => {
      const shader = gl.createShader(type); gl.shaderSource(shader, source); gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(shader));
      return shader;
    };
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, vertex)); gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragment));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
    gl.useProgram(program);
    const uniform = (name) => gl.getUniformLocation(program, name);
    const buffers = {};
    const attribute = (name, values, type) => {
      const location = gl.getAttribLocation(program, name);
      if (!buffers[name]) buffers[name] = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, buffers[name]);
      gl.bufferData(gl.ARRAY_BUFFER, values, gl.STATIC_DRAW);
      gl.enableVertexAttribArray(location);
      gl.vertexAttribPointer(location, 1, type, false, 0, 0);
    };
    const glType = (values) => (values instanceof Float32Array ? gl.FLOAT : values instanceof Uint8Array ? gl.UNSIGNED_BYTE
      : values instanceof Uint16Array ? gl.UNSIGNED_SHORT : gl.FLOAT);
    const texture = gl.createTexture();
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);  // premultiplied
    let points = null;
    return {
      name: "webgl",
      resize(width, height) { gl.viewport(0, 0, width, height); },
      setPoints(slice, factors) { points = slice; attribute("aX", slice.xs, gl.FLOAT); attribute("aY", slice.ys, gl.FLOAT); attribute("aSize", factors, gl.FLOAT); },
      setColours(codes, rgbs) {
        attribute("aCode", codes instanceof Uint32Array ? Float32Array.from(codes) : codes, glType(codes));
        gl.bindTexture(gl.TEXTURE_2D, texture);
        gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGB, rgbs.length, 1, 0, gl.RGB, gl.UNSIGNED_BYTE, Uint8Array.from(rgbs.flat()));
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST); gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE); gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
        gl.uniform1f(uniform("uColours"), rgbs.length);
      },
      draw(radius) {
        gl.uniform3f(uniform("uView"), view.scale, view.tx, view.ty);
        gl.uniform2f(uniform("uViewport"), canvas.clientWidth, canvas.clientHeight);
        gl.uniform1f(uniform("uRadius"), radius * view.dpr);
        gl.uniform1f(uniform("uAlpha"), POINT_ALPHA);
        gl.uniform1i(uniform("uPalette"), 0);
        gl.clearColor(BACKGROUND[0] / 255, BACKGROUND[1] / 255, BACKGROUND[2] / 255, 1);
        gl.clear(gl.COLOR_BUFFER_BIT);
        gl.drawArrays(gl.POINTS, 0, points.count);
        const xs = points.xs, ys = points.ys, width = canvas.clientWidth, height = canvas.clientHeight;
        let drawn = 0;
        for (let i = 0; i < points.count; i++) {
          const sx = xs[i] * view.scale + view.tx, sy = -ys[i] * view.scale + view.ty;
          if (sx >= 0 && sy >= 0 && sx < width && sy < height) drawn++;
        }
        return drawn;
      },
      pixel(x, y) {
        const out = new Uint8Array(4);
        gl.readPixels(Math.round(x * view.dpr), gl.drawingBufferHeight - 1 - Math.round(y * view.dpr), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, out);
        return Array.from(out);
      },
      flush() { gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); },
    };
  }

  function chooseRenderer(forced) {
    const options = { antialias: false, preserveDrawingBuffer: true, premultipliedAlpha: true, failIfMajorPerformanceCaveat: forced !== "gl" };
    if (forced !== "cpu") {
      // Asked on a spare canvas: a canvas given a WebGL context can no longer give a 2-D one.
      // Software GL (SwiftShader, llvmpipe) draws a million points ten times slower than the splatter.
      const probe = document.createElement("canvas").getContext("webgl2", options);
      const info = probe && forced !== "gl" && probe.getExtension("WEBGL_debug_renderer_info");
      const software = info && /swiftshader|llvmpipe|softpipe|software/i.test(probe.getParameter(info.UNMASKED_RENDERER_WEBGL));
      if (probe) probe.getExtension("WEBGL_lose_context")?.loseContext();
      const gl = probe && !software ? canvas.getContext("webgl2", options) : null;
      if (gl) {
        try { return glRenderer(gl); } catch (error) { console.warn("WebGL unusable, drawing on the CPU:", error); }
      }
    }
    return cpuRenderer();
  }

  // ---- view -------------------------------------------------------------------------------
  function toScreen(i) { return [data.xs[i] * view.scale + view.tx, -data.ys[i] * view.scale + view.ty]; }
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
  function sizeCanvases() {
    view.dpr = window.devicePixelRatio || 1;
    for (const c of [canvas, overlay]) { c.width = Math.round(c.clientWidth * view.dpr); c.height = Math.round(c.clientHeight * view.dpr); }
    renderer.resize(canvas.width, canvas.height);
  }
  function resize() { sizeCanvases(); draw(); }

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
    if (!data) return;
    const began = performance.now();
    const width = overlay.clientWidth, height = overlay.clientHeight;
    const radius = baseRadius();
    api.drawnPoints = renderer.draw(radius);
    context.setTransform(view.dpr, 0, 0, view.dpr, 0, 0);
    context.clearRect(0, 0, width, height);
    drawLinks();
    context.lineWidth = 2;
    for (const i of state.matches.slice(0, MAX_RINGS)) ring(i, radius * sizeFactor[i] + 3, "#111");
    if (state.selected >= 0) ring(state.selected, radius * sizeFactor[state.selected] + 5, "#e0218a");
    if (state.hovered >= 0) ring(state.hovered, radius * sizeFactor[state.hovered] + 2, "#000");
    placeLabels(width, height, radius);
    api.lastDrawMs = performance.now() - began;
    scheduleUrlUpdate();
  }

  // Links from the selected account to its strongest neighbours on the map, one colour per
  // interaction type; only the types ticked in the legend (scores are never re-weighted).
  function neighboursOf(i) {
    const links = data.links, out = [];
    if (!links) return out;
    for (let j = links.start[i]; j < links.start[i + 1]; j++) out.push({ ref: links.ref[j], share: links.share[j] / 10000, bits: links.bits[j], link: j });
    return out;
  }
  function drawLinks() {
    api.visibleLinks = [];
    if (state.selected < 0) return;
    const [sx, sy] = toScreen(state.selected);
    context.lineWidth = 1.5;
    for (const { ref, bits } of neighboursOf(state.selected)) {
      const shown = bits & state.kinds;
      if (ref < 0 || !shown) continue;
      const kind = Math.log2(shown & -shown);  // lowest ticked type behind this link
      const [tx, ty] = toScreen(ref);
      context.strokeStyle = KIND_COLOURS[kind % KIND_COLOURS.length];
      context.beginPath(); context.moveTo(sx, sy); context.lineTo(tx, ty); context.stroke();
      api.visibleLinks.push({ to: ref, kinds: header.kinds.filter((_, t) => shown & (1 << t)) });
    }
  }

  // The panels over the map (legend, search box and its results, the account panel): no label
  // is placed under them.
  function obstacles() {
    const r = overlay.getBoundingClientRect();
    return ["legend", "toolbar", "panel", "help"].map((id) => document.getElementById(id))
      .filter((node) => node && !node.hidden && node.getClientRects().length > 0)  // fixed: no offsetParent
      .map((node) => { const b = node.getBoundingClientRect(); return { x: b.left - r.left, y: b.top - r.top, w: b.width, h: b.height, id: node.id }; });
  }

  // Greedy label placement: the selected account, scene labels (largest scene first), then
  // account names by followers; a label is drawn only where it overlaps none already placed
  // and no panel, so labels never overlap at any zoom. Widths come from measureText.
  const textWidths = new Map();  // measureText is the costly part of placing labels
  function placeLabels(width, height, radius) {
    const placed = [], blocked = obstacles();
    const overlaps = (box, o) => box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h;
    const fits = (box) => box.x >= 0 && box.y >= 0 && box.x + box.w <= width && box.y + box.h <= height &&
      !blocked.some((o) => overlaps(box, o)) && !placed.some((o) => overlaps(box, o));
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
      tryLabel(nameOf(state.selected), sx + radius * sizeFactor[state.selected] + 5, sy, `bold 12px ${FONT_STACK}`, "#111", false);
    }
    if (state.colouring === 0) {
      data.scenes.forEach((scene, k) => {
        const g = sceneGeometry[k];
        tryLabel(sceneTitle(scene), g.x * view.scale + view.tx, -g.y * view.scale + view.ty, sceneFont, scene.colour, true);
      });
    }
    let names = 0;
    const order = data.labelOrder;
    for (let n = 0; n < Math.min(order.length, LABEL_SCAN) && names < MAX_NAME_LABELS; n++) {
      const i = order[n];
      if (i === state.selected) continue;
      const [sx, sy] = toScreen(i);
      if (sx < 0 || sy < 0 || sx > width || sy > height) continue;
      if (tryLabel(nameOf(i), sx + radius * sizeFactor[i] + 3, sy, nameFont, "#333", false)) names++;
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
    const cx0 = Math.max(0, Math.floor((dx - reach - minX) / cellSize)), cx1 = Math.min(grid - 1, Math.floor((dx + reach - minX) / cellSize));
    const cy0 = Math.max(0, Math.floor((dy - reach - minY) / cellSize)), cy1 = Math.min(grid - 1, Math.floor((dy + reach - minY) / cellSize));
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 4096) return -1;  // zoomed far out: too coarse to point at one account
    let best = -1, bestDistance = reach * reach;
    for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
      const cell = cx * grid + cy;
      for (let n = cellStart[cell]; n < cellStart[cell + 1]; n++) {
        const i = cellPoints[n], distance = (data.xs[i] - dx) ** 2 + (data.ys[i] - dy) ** 2;
        if (distance <= bestDistance) { best = i; bestDistance = distance; }
      }
    }
    return best;
  }

  // ---- panels -----------------------------------------------------------------------------
  const formatFollowers = (f) => (f === null || f === undefined ? "followers unknown" : `${Number(f).toLocaleString("en")} followers`);
  const profileUrl = (permalink) => header.profileUrl + encodeURIComponent(permalink);
  const objectUrl = (path) => header.profileUrl + path.split("/").map(encodeURIComponent).join("/");

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function fieldsOf(i) {  // [name, text] of the hover fields this point has
    const links = data.links;
    if (!links) return [];
    return data.fields.map((field, f) => [field.name, links.fieldCodes[f][i]]).filter(([, code]) => code > 0)
      .map(([name, code]) => [name, data.fields.find((field) => field.name === name).values[code - 1]]);
  }

  function showTooltip(i, clientX, clientY) {
    const lines = [element("div", nameOf(i), "name"), element("div", permalinkOf(i), "sub permalink"),
                   element("div", formatFollowers(followersOf(i)), "sub")];
    for (const [field, value] of fieldsOf(i)) lines.push(element("div", `${field}: ${value}`, "sub"));
    tooltip.replaceChildren(...lines);
    tooltip.hidden = false;
    tooltip.style.left = `${clientX + 14}px`;
    tooltip.style.top = `${clientY + 12}px`;
  }

  function kindNames(bits) { return header.kinds.filter((_, t) => bits & (1 << t)); }

  function select(i, centre) {
    if (i < 0 || i >= count) return;
    state.selected = i;
    if (centre) centreOn(data.xs[i], data.ys[i], Math.max(view.scale, view.fitScale * 4));
    document.getElementById("panel-name").textContent = nameOf(i);
    const link = document.getElementById("panel-link"), permalink = permalinkOf(i);
    link.textContent = permalink ? `soundcloud: ${permalink}` : "";
    link.href = permalink ? profileUrl(permalink) : "#";
    document.getElementById("panel-followers").textContent = formatFollowers(followersOf(i));
    const scene = data.colourCodes[0][i] - 1;
    document.getElementById("panel-cluster").textContent = scene >= 0 ? `scene: ${sceneTitle(data.scenes[scene])}` : "";
    fillNeighbours();
    panel.hidden = false;
    requestDraw();
  }

  // The tracks / playlists tying point i to each of its neighbours: [[{title, url}]], per link.
  function tyingOf(i) {
    const links = data.links;
    return neighboursOf(i).map(({ link }) => {
      if (!links || !links.tyingStart) return [];
      const out = [];
      for (let t = links.tyingStart[link]; t < links.tyingStart[link + 1]; t++) {
        const o = links.tyingObject[t];
        out.push({ title: links.objectTitle.get(o), url: objectUrl(links.objectPath.get(o)) });
      }
      return out;
    });
  }

  function fillNeighbours() {
    const list = document.getElementById("panel-neighbours");
    list.replaceChildren();
    if (state.selected < 0 || !data.links) return;
    const tying = tyingOf(state.selected);
    neighboursOf(state.selected).forEach(({ ref, share, bits }, j) => {
      const onMap = ref >= 0;
      const item = element("li", onMap ? nameOf(ref) : data.links.otherName.get(-1 - ref), onMap ? "on-map" : "");
      item.appendChild(element("span", `${(share * 100).toFixed(1)}%`, "permalink"));
      if (header.kinds.length) item.appendChild(element("span", kindNames(bits).join(" · "), "kinds"));
      if (header.kinds.length && !(bits & state.kinds)) item.classList.add("filtered");
      if (onMap) item.addEventListener("click", () => select(ref, true));
      if (tying[j].length) {
        // The link's own tracks: a toggle under the entry (a click on the name still selects it).
        const toggle = element("button", `\u25b8 ${tying[j].length} track${tying[j].length === 1 ? "" : "s"}`, "tying-toggle");
        toggle.type = "button";
        const tracks = element("ul", undefined, "tying");
        tracks.hidden = true;
        for (const { title, url } of tying[j]) {
          const anchor = element("a", title || url);
          anchor.href = url; anchor.target = "_blank"; anchor.rel = "noopener noreferrer";
          anchor.addEventListener("click", (event) => event.stopPropagation());
          const entry = element("li"); entry.appendChild(anchor); tracks.appendChild(entry);
        }
        toggle.addEventListener("click", (event) => {
          event.stopPropagation();
          tracks.hidden = !tracks.hidden;
          toggle.textContent = `${tracks.hidden ? "\u25b8" : "\u25be"}${toggle.textContent.slice(1)}`;
        });
        item.append(toggle, tracks);
      }
      list.appendChild(item);
    });
  }

  function openProfile(i) {
    const permalink = permalinkOf(i);
    if (!permalink) return;
    api.lastOpenedUrl = profileUrl(permalink);
    window.open(api.lastOpenedUrl, "_blank", "noopener");
  }

  // Search: indexOf over the one lower-cased string of all names (and of all permalinks),
  // each hit mapped to its account by binary search on the name starts.
  function accountsMatching(table, needle, into) {
    if (table.lower === null) { const lower = table.text.toLowerCase(); table.lower = lower.length === table.text.length ? lower : false; }
    const starts = table.starts, n = starts.length - 1;
    if (table.lower === false) {  // lower-casing changed some lengths: name by name
      for (let a = 0; a < n; a++) if (table.get(a).toLowerCase().includes(needle)) into.add(a);
      return;
    }
    let from = 0;
    for (;;) {
      const at = table.lower.indexOf(needle, from);
      if (at < 0) return;
      let lo = 0, hi = n - 1;  // the last account starting at or before `at` (empty names share starts)
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= at) lo = mid; else hi = mid - 1; }
      while (lo < n - 1 && starts[lo + 1] <= at) lo++;
      if (at + needle.length <= starts[lo + 1]) { into.add(lo); from = starts[lo + 1]; } else from = at + 1;
    }
  }

  function runSearch(query) {
    const needle = query.trim().toLowerCase();
    state.matches = [];
    resultList.replaceChildren();
    if (!needle) { resultList.hidden = true; statusLine.textContent = ""; requestDraw(); return []; }
    if (!accounts.names) { state.pendingSearch = query; statusLine.textContent = "loading names\u2026"; return []; }
    const found = new Set();
    accountsMatching(accounts.names, needle, found);
    accountsMatching(accounts.permalinks, needle, found);
    for (const a of found) { const i = sliced ? data.pointOfAccount[a] : a; if (i >= 0) state.matches.push(i); }
    // Exact and prefix matches first, then the most followed.
    const rank = (i) => { const name = nameOf(i).toLowerCase(), slug = permalinkOf(i).toLowerCase();
      return name === needle || slug === needle ? 0 : name.startsWith(needle) || slug.startsWith(needle) ? 1 : 2; };
    const key = new Map(state.matches.map((i) => [i, rank(i) * 4294967296 - (followersOf(i) || 0)]));
    state.matches.sort((a, b) => key.get(a) - key.get(b) || a - b);
    for (const i of state.matches.slice(0, MAX_RESULTS)) {
      const item = element("li", nameOf(i));
      item.appendChild(element("span", permalinkOf(i), "permalink"));
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

  // ---- slices -----------------------------------------------------------------------------
  function loadSlice(k) {
    if (!sliced || !(k >= 0 && k < slices.length) || !loaded[k]) return false;
    const previous = state.selected >= 0 ? account(state.selected) : -1;
    sliceIndex = k;
    data = loaded[k];
    if (state.colouring >= data.colourings.length) state.colouring = 0;
    prepare();
    state.hovered = -1;
    state.selected = previous >= 0 ? data.pointOfAccount[previous] : -1;
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

  // ---- legend -----------------------------------------------------------------------------
  // Colour-by choice, the scenes of the chosen colouring (click: zoom there) and the
  // interaction types whose links are drawn.
  function buildLegend() {
    const chooser = document.getElementById("colour-by");
    chooser.replaceChildren(...data.colourings.map((c, n) => { const o = element("option", c.name); o.value = String(n); return o; }));
    chooser.value = String(state.colouring);
    chooser.closest(".legend-row").hidden = data.colourings.length < 2;
    chooser.addEventListener("change", () => { state.colouring = Number(chooser.value); recolour(); fillLegend(); draw(); });
    const kinds = document.getElementById("kinds");
    kinds.replaceChildren();
    header.kinds.forEach((kind, t) => {
      const label = element("label");
      const box = element("input");
      box.type = "checkbox"; box.value = String(t); box.checked = Boolean(state.kinds & (1 << t));
      box.addEventListener("change", () => setKinds(box.checked ? state.kinds | (1 << t) : state.kinds & ~(1 << t)));
      const swatch = element("span", "", "swatch");
      swatch.style.background = KIND_COLOURS[t % KIND_COLOURS.length];
      label.append(box, swatch, element("span", kind));
      kinds.appendChild(label);
    });
    kinds.parentElement.hidden = header.kinds.length === 0;
    if (sliced) {
      const slider = document.getElementById("slice");
      slider.max = String(slices.length - 1);
      showSliceCaption();
      slider.addEventListener("input", () => setSlice(Number(slider.value)));
      document.getElementById("slices").hidden = false;
    }
    fillLegend();
  }
  function recolour() { renderer.setColours(colourCodes(), palette()); }

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
        item.append(swatch, element("span", sceneTitle(scene), "scene-label"), element("span", `${scene.size.toLocaleString("en")}`, "size"));
        item.appendChild(element("div", scene.central.map((i) => nameOf(i)).join(", "), "central"));
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

  // ---- the view in the URL: #v=<centre x>,<centre y>,<zoom>&s=<point>&c=<colouring>&k=<types mask>&t=<slice label>
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
    if (state.kinds !== (1 << header.kinds.length) - 1) parts.push(`k=${state.kinds}`);
    if (sliced) parts.push(`t=${encodeURIComponent(slices[sliceIndex].label)}`);
    if (params.has("r")) parts.push(`r=${renderer.name === "webgl" ? "gl" : "cpu"}`);
    history.replaceState(null, "", `#${parts.join("&")}`);
    api.url = location.href;
  }
  const params = new URLSearchParams(location.hash.slice(1));
  // Number(null) and Number("") are 0: a parameter that is absent must stay absent.
  const number = (text) => { const value = text === null || text.trim() === "" ? NaN : Number(text); return Number.isFinite(value) ? value : null; };
  function readView() {
    const c = number(params.get("c"));
    if (c !== null && c >= 0 && c < data.colourings.length) state.colouring = Math.floor(c);
    const k = number(params.get("k"));
    if (k !== null && k >= 0) state.kinds = Math.floor(k) & ((1 << header.kinds.length) - 1);
    const v = (params.get("v") || "").split(",").map(number);
    if (v.length === 3 && v.every((value) => value !== null) && v[2] > 0) {
      centreOn(v[0], v[1], view.fitScale * Math.min(2000, Math.max(0.2, v[2])));
    }
  }
  function readSelection() {
    const s = number(params.get("s"));
    if (s !== null && s >= 0 && s < count) select(Math.floor(s), false);
  }

  // ---- input ------------------------------------------------------------------------------
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
    if (!data) return;
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
    if (!wasClick || !data) return;
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

  // ---- start: what the first paint needs (positions, colours, followers), then the rest ------
  async function start() {
    renderer = chooseRenderer(params.get("r"));
    api.renderer = renderer.name;
    const marks = { script: performance.now() };
    const [followers, ...cores] = await Promise.all([loadBlob("accounts"), ...slices.map((part) => loadBlob(part.core))]);
    marks.decoded = performance.now();
    accounts.followers = followers.followers;
    cores.forEach((core, k) => { loaded[k] = sliceCore(k, core); });
    // The view fits every slice (they share one aligned space), so the slider never moves the camera.
    for (const part of loaded) {
      for (const v of part.xs) { if (v < fit.minX) fit.minX = v; if (v > fit.maxX) fit.maxX = v; }
      for (const v of part.ys) { if (v < fit.minY) fit.minY = v; if (v > fit.maxY) fit.maxY = v; }
    }
    if (fit.minX > fit.maxX) { fit.minX = fit.minY = -1; fit.maxX = fit.maxY = 1; }
    const wanted = sliced && params.has("t") ? slices.findIndex((part) => part.label === params.get("t")) : 0;  // first: s counts its points
    sliceIndex = wanted >= 0 ? wanted : 0;
    data = loaded[sliceIndex];
    sizeCanvases();
    fitView();
    readView();
    prepare();
    marks.prepared = performance.now();
    buildLegend();
    draw();
    marks.painted = performance.now();
    api.startMarks = marks;  // ms since navigation start: script running, first blobs decoded, prepared, painted
    api.firstPaintMs = performance.now();  // since navigation began: reading the page and decoding included
    api.scriptMs = performance.now() - started;
    statusLine.textContent = `${count.toLocaleString("en")} accounts`;
    document.title = header.title;

    // The names and links come after this script in the file: wait until the browser has read them.
    if (document.readyState === "loading") await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
    const [names, ...links] = await Promise.all([loadBlob("names"), ...slices.map((part) => loadBlob(part.links))]);
    accounts.names = stringTable(names, "name");
    accounts.permalinks = stringTable(names, "permalink");
    links.forEach((part, k) => { loaded[k].links = sliceLinks(k, part); });
    if (state.selected >= 0) select(state.selected, false);  // chosen before the links were there: fill its panel
    readSelection();
    ready = true;
    api.ready = true;
    api.readyMs = performance.now();
    if (state.pendingSearch !== null && searchBox.value) runSearch(searchBox.value);
    draw();
  }
  start().catch((error) => { statusLine.textContent = `the map could not be read: ${error}`; throw error; });
})();
