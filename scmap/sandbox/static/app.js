/* scmap sandbox web client: renders profile lists client-side from api-v2, with infinite scroll.
 * Mirrors the real client's behaviour (docs/soundcloud-web.md 4.3 and 4.4): the first page asks
 * limit + offset=0 + linked_partitioning=1, later pages request next_href + client_id +
 * app_version + app_locale; the scroll handler is debounced and loads more when the last item's
 * top is within 200 px of the viewport bottom. Text from the API is only ever set with
 * textContent, never innerHTML. */
(function () {
  "use strict";
  var config = {client_id:"__CLIENT_ID__", api_path:"/api-v2", app_locale:"en", preload_at:200, scroll_debounce_ms:400};
  var PAGE_SIZES = {likes: 24, comments: 20, reposts: 10, followings: 24, followers: 24};
  var NETWORK_TITLES = {likes: "Likes", comments: "Comments", following: "Following", followers: "Followers"};
  var RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000];

  function hydrated(name) {
    var entries = window.__sc_hydration || [];
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].hydratable === name) return entries[i].data;
    }
    return null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(className, href, text) {
    var a = el("a", className, text);
    a.setAttribute("href", href);
    return a;
  }

  /* "3 months ago", as the site prints next to a repost; the exact ISO time stays in datetime=. */
  function relativeTime(iso) {
    var seconds = (Date.now() - Date.parse(iso)) / 1000;
    if (!(seconds >= 0)) return "";
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                 ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(seconds / units[i][1]);
      if (n >= 1) return n + " " + units[i][0] + (n > 1 ? "s" : "") + " ago";
    }
    return "just now";
  }

  function timeElement(iso) {
    var time = el("time", "relativeTime");
    time.setAttribute("datetime", iso || "");
    time.setAttribute("title", iso || "");
    time.appendChild(el("span", "sc-visuallyhidden", "Posted "));
    time.appendChild(el("span", "", relativeTime(iso)));
    return time;
  }

  function pathOf(permalinkUrl) {
    try { return new URL(permalinkUrl, location.origin).pathname; } catch (e) { return "/"; }
  }

  function apiBase() { return location.origin + config.api_path; }

  function withClientParams(url) {
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    return url + sep + "client_id=" + encodeURIComponent(config.client_id) +
      "&app_version=" + encodeURIComponent(window.__sc_version || "") +
      "&app_locale=" + config.app_locale;
  }

  function firstPageUrl(path, limit) {
    return apiBase() + path + "?client_id=" + encodeURIComponent(config.client_id) +
      "&limit=" + limit + "&offset=0&linked_partitioning=1" +
      "&app_version=" + encodeURIComponent(window.__sc_version || "") + "&app_locale=" + config.app_locale;
  }

  /* ---- item renderers ------------------------------------------------------------- */

  function soundTitle(sound) {
    var owner = sound.user || {};
    var title = el("div", "soundTitle sc-clearfix sc-hyphenate sc-type-h2 streamContext");
    var container = el("div", "soundTitle__titleContainer");
    var usernameTitle = el("div", "soundTitle__usernameTitleContainer");
    var username = link("soundTitle__username sc-link-secondary", "/" + (owner.permalink || ""));
    username.appendChild(el("span", "soundTitle__usernameText", owner.username));
    var titleLink = link("sc-link-primary soundTitle__title sc-link-dark sc-text-h4", pathOf(sound.permalink_url));
    titleLink.appendChild(el("span", "", sound.title));
    usernameTitle.appendChild(username);
    usernameTitle.appendChild(titleLink);
    container.appendChild(usernameTitle);
    title.appendChild(container);
    return title;
  }

  function soundBlock(sound, kind, ariaLabel) {
    var block = el("div", "sound streamContext" + (kind === "playlist" ? " playlist" : ""));
    block.setAttribute("role", "group");
    block.setAttribute("aria-label", ariaLabel);
    var body = el("div", "sound__body");
    body.appendChild(el("div", "sound__artwork sc-media-image"));
    var content = el("div", "sound__content");
    var header = el("div", "sound__header sc-clearfix");
    header.appendChild(soundTitle(sound));
    content.appendChild(header);
    if (kind === "playlist") {
      content.appendChild(el("div", "sound__trackList compactTrackList", sound.track_count + " tracks"));
    }
    body.appendChild(content);
    block.appendChild(body);
    return block;
  }

  function kindLabel(kind) { return kind === "playlist" ? "Playlist" : "Track"; }

  function renderLike(item) {
    var kind = item.playlist ? "playlist" : "track";
    var sound = item[kind];
    if (!sound) return null;
    var li = el("li", "soundList__item");
    li.appendChild(soundBlock(sound, kind, kindLabel(kind) + ": " + sound.title + " by " + ((sound.user || {}).username || "")));
    return li;
  }

  function renderRepost(item) {
    var kind = item.playlist ? "playlist" : "track";
    var sound = item[kind];
    if (!sound) return null;
    var reposter = item.user || {};
    var li = el("li", "soundList__item");
    var block = soundBlock(sound, kind, kindLabel(kind) + ": " + sound.title + " by " + ((sound.user || {}).username || "") + ", reposted by " + (reposter.username || ""));
    var context = el("div", "soundContext sc-clearfix");
    var avatar = link("g-avatar-badge-avatar-link", "/" + (reposter.permalink || ""));
    context.appendChild(avatar);
    var line = el("div", "soundContext__line");
    line.appendChild(link("soundContext__usernameLink sc-link-secondary", "/" + (reposter.permalink || ""), reposter.username));
    line.appendChild(el("span", "soundContext__repost sc-ministats sc-ministats-small sc-ministats-reposts", "reposted"));
    line.appendChild(timeElement(item.created_at));
    context.appendChild(line);
    block.insertBefore(context, block.firstChild);
    li.appendChild(block);
    return li;
  }

  function renderComment(item) {
    var track = item.track;
    if (!track) return null;
    var li = el("li", "commentsList__item");
    var title = el("div", "commentTitle");
    var main = el("div", "commentTitle__main");
    main.appendChild(el("span", "commentTitle__quotedBody", item.body));
    var secondary = el("div", "commentTitle__secondary");
    secondary.appendChild(document.createTextNode("on "));
    secondary.appendChild(link("sc-link-light", pathOf(track.permalink_url), track.title));
    var when = el("div", "commentTitle__time");
    when.appendChild(timeElement(item.created_at));
    title.appendChild(main);
    title.appendChild(secondary);
    title.appendChild(when);
    li.appendChild(title);
    return li;
  }

  function renderUserBadge(user) {
    var li = el("li", "badgeList__item");
    var badge = el("div", "userBadgeListItem");
    var artwork = el("div", "userBadgeListItem__artwork");
    var image = link("userBadgeListItem__image", "/" + user.permalink);
    image.appendChild(el("span", "sc-artwork sc-artwork-placeholder-0 image__full g-opacity-transition"));
    artwork.appendChild(image);
    var title = el("div", "userBadgeListItem__title");
    var heading = link("userBadgeListItem__heading sc-type-small sc-link-dark sc-truncate", "/" + user.permalink, user.username);
    heading.setAttribute("title", "Visit " + user.username + "\u2019s profile");
    title.appendChild(heading);
    var action = el("div", "userBadgeListItem__action");
    action.appendChild(el("button", "sc-button-follow sc-button sc-button-small", "Follow"));
    badge.appendChild(artwork);
    badge.appendChild(title);
    badge.appendChild(action);
    li.appendChild(badge);
    return li;
  }

  /* ---- infinite scroll -------------------------------------------------------------- */

  function LazyList(host, listNode, firstUrl, renderItem) {
    this.host = host;
    this.listNode = listNode;
    this.renderItem = renderItem;
    this.pendingUrl = firstUrl;  // absolute URL of the next page to fetch, null when done
    this.loading = false;
    this.failures = 0;
    this.spinner = el("div", "loading regular m-padded", "Loading");
    var self = this;
    var timer = null;
    window.addEventListener("scroll", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { timer = null; self.maybeLoad(); }, config.scroll_debounce_ms);
    }, {passive: true});
    window.addEventListener("resize", function () { self.maybeLoad(); });
  }

  LazyList.prototype.nearBottom = function () {
    var last = this.listNode.lastElementChild;
    if (!last) return true;
    return last.getBoundingClientRect().top <= window.innerHeight + config.preload_at;
  };

  LazyList.prototype.maybeLoad = function () {
    if (this.loading || this.pendingUrl === null || !this.nearBottom()) return;
    this.load();
  };

  LazyList.prototype.load = function () {
    var self = this;
    var url = this.pendingUrl;
    this.loading = true;
    this.host.appendChild(this.spinner);
    fetch(url, {credentials: "omit", headers: {"Accept": "application/json, text/javascript, */*; q=0.01"}})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { self.onPage(data); })
      .catch(function () { self.onError(); });
  };

  LazyList.prototype.onPage = function (data) {
    var collection = (data && data.collection) || [];
    for (var i = 0; i < collection.length; i++) {
      var node = this.renderItem(collection[i]);
      if (node) this.listNode.appendChild(node);
    }
    this.failures = 0;
    this.pendingUrl = data && data.next_href ? withClientParams(data.next_href) : null;
    this.loading = false;
    if (this.spinner.parentNode) this.spinner.parentNode.removeChild(this.spinner);
    if (this.pendingUrl === null) return;  // fully populated: scrolling fetches nothing more
    // An empty (or short) page must not stall the list: fetch on without waiting for a scroll.
    if (collection.length === 0) { this.load(); return; }
    this.maybeLoad();
  };

  LazyList.prototype.onError = function () {
    var self = this;
    this.loading = false;
    if (this.spinner.parentNode) this.spinner.parentNode.removeChild(this.spinner);
    var delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)];
    this.failures += 1;
    setTimeout(function () { self.maybeLoad(); }, delay);
  };

  /* ---- page layouts ----------------------------------------------------------------- */

  function networkLayout(app, user, section) {
    var network = el("div", "userNetwork l-container l-content");
    var top = el("div", "userNetworkTop");
    var title = el("h1", "userNetworkTop__title");
    title.appendChild(link("sc-link-dark", "/" + user.permalink, user.username));
    top.appendChild(title);
    top.appendChild(el("h2", "userNetworkTop__subtitle sc-type-light", NETWORK_TITLES[section]));
    network.appendChild(top);
    var main = el("div", "userNetwork__main");
    network.appendChild(main);
    app.appendChild(network);
    return main;
  }

  function profileLayout(app, user, activeTab) {
    var profile = el("div", "l-container l-content profile");
    var header = el("div", "profileHeader");
    var info = el("div", "profileHeaderInfo");
    info.appendChild(el("h2", "profileHeaderInfo__userName g-type-shrinkwrap-block theme-dark", user.username));
    header.appendChild(info);
    profile.appendChild(header);
    var stats = el("table", "infoStats__table");
    var row = el("tr");
    [["Followers", "followers", user.followers_count], ["Following", "following", user.followings_count],
     ["Tracks", "tracks", user.track_count]].forEach(function (stat) {
      var cell = el("td", "infoStats__stat");
      var a = link("infoStats__statLink sc-link-light", "/" + user.permalink + "/" + stat[1]);
      a.appendChild(el("h3", "infoStats__title sc-font-light", stat[0]));
      a.appendChild(el("div", "infoStats__value sc-font-tabular-light", stat[2]));
      cell.appendChild(a);
      row.appendChild(cell);
    });
    var body = el("tbody");
    body.appendChild(row);
    stats.appendChild(body);
    profile.appendChild(stats);
    var tabs = el("ul", "g-tabs");
    [["All", ""], ["Popular tracks", "/popular-tracks"], ["Tracks", "/tracks"], ["Albums", "/albums"],
     ["Playlists", "/sets"], ["Reposts", "/reposts"]].forEach(function (tab) {
      var li = el("li", "g-tabs-item");
      li.appendChild(link("g-tabs-link" + (tab[1] === activeTab ? " active" : ""), "/" + user.permalink + tab[1], tab[0]));
      tabs.appendChild(li);
    });
    profile.appendChild(tabs);
    var main = el("div", "userMain__content");
    profile.appendChild(main);
    app.appendChild(profile);
    return main;
  }

  function startList(main, listClass, apiPath, limit, renderItem) {
    var host = el("div", "lazyLoadingList " + listClass.host);
    var list = el("ul", listClass.list);
    host.appendChild(list);
    main.appendChild(host);
    var lazy = new LazyList(host, list, firstPageUrl(apiPath, limit), renderItem);
    lazy.maybeLoad();
  }

  var SOUND_LIST = {host: "soundList", list: "lazyLoadingList__list sc-list-nostyle sc-clearfix"};
  var COMMENT_LIST = {host: "commentsList userComments", list: "lazyLoadingList__list sc-list-nostyle sc-clearfix"};

  function route(app, user) {
    var parts = location.pathname.split("/").filter(function (p) { return p.length > 0; });
    var section = parts.length > 1 ? parts[1] : "";
    var id = user.id;
    if (section === "likes") {
      startList(networkLayout(app, user, section), SOUND_LIST, "/users/" + id + "/likes", PAGE_SIZES.likes, renderLike);
    } else if (section === "comments") {
      startList(networkLayout(app, user, section), COMMENT_LIST, "/users/" + id + "/comments", PAGE_SIZES.comments, renderComment);
    } else if (section === "following" || section === "followers") {
      var main = networkLayout(app, user, section);
      var api = section === "following" ? "followings" : "followers";
      // The real grid is one <ul> carrying both classes (docs/soundcloud-web.md 4.3).
      var list = el("ul", "badgeList lazyLoadingList sc-list-nostyle sc-clearfix");
      main.appendChild(list);
      var lazy = new LazyList(main, list, firstPageUrl("/users/" + id + "/" + api, PAGE_SIZES[api]), renderUserBadge);
      lazy.maybeLoad();
    } else if (section === "reposts") {
      startList(profileLayout(app, user, "/reposts"), SOUND_LIST, "/stream/users/" + id + "/reposts", PAGE_SIZES.reposts, renderRepost);
    } else {
      profileLayout(app, user, section ? "/" + section : "");
    }
  }

  /* ---- cookie consent (OneTrust look-alike) ----------------------------------------- */

  function consentGiven() { return document.cookie.indexOf("OptanonAlertBoxClosed=") >= 0; }

  /* Like OneTrust: the banner sits in #onetrust-consent-sdk and, once answered, is hidden
   * (display: none) after a short fade rather than removed from the DOM. */
  function showConsentBanner() {
    if (consentGiven()) return;
    var sdk = el("div");
    sdk.id = "onetrust-consent-sdk";
    sdk.appendChild(el("div", "onetrust-pc-dark-filter ot-hide ot-fade-in"));
    var banner = el("div", "otFloatingRoundedCorner ot-wo-title ot-fade-in");
    banner.id = "onetrust-banner-sdk";
    banner.setAttribute("role", "region");
    banner.setAttribute("aria-label", "Cookie banner");
    var policy = el("div", "ot-sdk-container");
    policy.id = "onetrust-policy";
    policy.appendChild(el("div", "", "We use cookies and similar methods to recognize visitors and remember their preferences."));
    var buttons = el("div", "banner-actions-container");
    buttons.id = "onetrust-button-group";
    var accept = el("button", "", "I Accept");
    accept.id = "onetrust-accept-btn-handler";
    var reject = el("button", "", "Reject All");
    reject.id = "onetrust-reject-all-handler";
    function close() {
      // Like OneTrust: kept for a year (a persistent profile remembers the answer).
      document.cookie = "OptanonAlertBoxClosed=" + new Date().toISOString() + "; path=/; max-age=31536000";
      banner.style.opacity = "0";
      setTimeout(function () { banner.style.display = "none"; }, 200);
      document.body.classList.add("ot-hide-banner");
    }
    accept.addEventListener("click", close);
    reject.addEventListener("click", close);
    buttons.appendChild(accept);
    buttons.appendChild(reject);
    banner.appendChild(policy);
    banner.appendChild(buttons);
    sdk.appendChild(banner);
    document.body.appendChild(sdk);
  }

  function boot() {
    var app = document.getElementById("app");
    var loading = document.getElementById("header__loading");
    if (loading) loading.className = "sc-hidden";
    var user = hydrated("user");
    if (user && app) route(app, user);
    setTimeout(showConsentBanner, 250);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
