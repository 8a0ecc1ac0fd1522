// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Show times in the reader's own time zone.
  document.querySelectorAll("time[data-ms]").forEach(function (t) {
    var d = new Date(Number(t.getAttribute("data-ms")));
    if (!isNaN(d)) t.textContent = d.toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
  });
  // Flash sales: count down to a start or an end, then reload (the sale opens or
  // closes on the server's clock; the page says so once reloaded).
  var clocks = document.querySelectorAll("[data-countdown]");
  if (clocks.length) {
    var tick = function () {
      var now = Date.now();
      clocks.forEach(function (el) {
        var left = Math.max(0, Math.floor((Number(el.getAttribute("data-countdown")) - now) / 1000));
        var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
        var two = function (n) { return (n < 10 ? "0" : "") + n; };
        el.textContent = (h > 0 ? h + ":" : "") + two(m) + ":" + two(s);
        if (left === 0 && !el.getAttribute("data-done")) { el.setAttribute("data-done", "1"); setTimeout(function () { location.reload(); }, 1500); }
      });
    };
    tick();
    setInterval(tick, 1000);
  }
  // A form that reads a local time says which zone the browser is in.
  document.querySelectorAll("input[name=tz_offset]").forEach(function (i) {
    i.value = String(-new Date().getTimezoneOffset());
  });
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var input = document.getElementById(b.getAttribute("data-copy"));
      if (!input) return;
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value); else document.execCommand("copy");
      b.textContent = "✓";
    });
  });
  // A choice that changes what the page shows (the coupon at checkout) applies at
  // once; the form's own button stays for browsers without script.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (f) {
    f.addEventListener("change", function () { f.submit(); });
  });
  // A form whose fields depend on a choice (a coupon's kind) shows only those that
  // apply: each such field names the choices it serves in data-for.
  document.querySelectorAll("form[data-switch]").forEach(function (f) {
    var name = f.getAttribute("data-switch");
    function show() {
      var on = f.querySelector("input[name=" + name + "]:checked");
      f.querySelectorAll("[data-for]").forEach(function (el) {
        el.hidden = !on || el.getAttribute("data-for").split(" ").indexOf(on.value) === -1;
      });
    }
    f.addEventListener("change", show);
    show();
  });
  // A refused form says why at its top: bring that into view if it is further down.
  var refused = document.querySelector(".card .alert[role=alert]");
  if (refused && refused.getBoundingClientRect().top > window.innerHeight * 0.6) {
    refused.scrollIntoView({ block: "center" });
  }
  // The pickup chooser: the browser's location fills the form and asks.
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      var form = locate.form;
      navigator.geolocation.getCurrentPosition(function (p) {
        form.elements.lat.value = p.coords.latitude.toFixed(6);
        form.elements.lon.value = p.coords.longitude.toFixed(6);
        form.submit();
      }, function () {
        window.alert(locate.getAttribute("data-denied"));
      }, { timeout: 10000 });
    });
  } else if (locate) {
    locate.hidden = true;
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
  // Chat: new messages arrive over the WebSocket and are appended as they come.
  var list = document.getElementById("messages");
  if (list && list.getAttribute("data-topic") && window.WebSocket) {
    var cproto = location.protocol === "https:" ? "wss://" : "ws://";
    var cws = new WebSocket(cproto + location.host + "/api/v1/ws");
    cws.onopen = function () { cws.send(JSON.stringify({ type: "subscribe", topic: list.getAttribute("data-topic") })); };
    cws.onmessage = function (m) {
      var f; try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.type !== "event" || !f.data || !f.data.id || document.getElementById("m-" + f.data.id)) return;
      var li = document.createElement("li"); li.id = "m-" + f.data.id;
      var who = document.createElement("span"); who.className = "who"; who.textContent = f.data.author.display_name;
      var b = document.createElement("span"); b.className = "bubble"; b.textContent = f.data.body;
      if (f.data.image) { var im = document.createElement("img"); im.className = "chat-img"; im.src = f.data.image; im.alt = ""; b.appendChild(im); }
      li.appendChild(who); li.appendChild(b); list.appendChild(li);
      var empty = document.getElementById("chat-empty"); if (empty) empty.remove();
      window.scrollTo(0, document.body.scrollHeight);
    };
    window.scrollTo(0, document.body.scrollHeight);
    setInterval(function () { if (cws.readyState === 1) cws.send('{"type":"ping"}'); }, 30000);
  }
  // Notifications: new ones arrive over the WebSocket on the account's own topic.
  var notes = document.getElementById("notifications");
  if (notes && window.WebSocket) {
    var nproto = location.protocol === "https:" ? "wss://" : "ws://";
    var nws = new WebSocket(nproto + location.host + "/api/v1/ws");
    nws.onopen = function () { nws.send(JSON.stringify({ type: "subscribe", topic: notes.getAttribute("data-topic") })); };
    nws.onmessage = function (m) {
      var f; try { f = JSON.parse(m.data); } catch (e) { return; }
      var n = f.type === "event" && f.data && f.data.notification;
      if (!n) return;
      var li = document.createElement("li"); li.className = "unread";
      var who = document.createElement("strong"); who.textContent = n.actor ? n.actor + " " : "";
      var what = document.createElement("span"); what.textContent = n.kind;
      var body = document.createElement("span"); body.className = "muted"; body.textContent = " " + n.body;
      li.appendChild(who); li.appendChild(what); li.appendChild(body);
      notes.insertBefore(li, notes.firstChild);
      var empty = document.getElementById("notify-empty"); if (empty) empty.remove();
      var u = document.getElementById("unread"); if (u) u.textContent = String(Number(u.textContent || 0) + 1);
    };
    setInterval(function () { if (nws.readyState === 1) nws.send('{"type":"ping"}'); }, 30000);
  }
  // A 1:1 conversation: new messages arrive on the reader's own account topic.
  var thread = document.getElementById("conversation");
  if (thread && window.WebSocket) {
    var tproto = location.protocol === "https:" ? "wss://" : "ws://";
    var tws = new WebSocket(tproto + location.host + "/api/v1/ws");
    tws.onopen = function () { tws.send(JSON.stringify({ type: "subscribe", topic: thread.getAttribute("data-topic") })); };
    tws.onmessage = function (m) {
      var f; try { f = JSON.parse(m.data); } catch (e) { return; }
      var d = f.type === "event" && f.data;
      if (!d || d.kind !== "reach.message" || d.contact !== thread.getAttribute("data-contact")) return;
      var staffSide = thread.getAttribute("data-mine") === "staff";
      var li = document.createElement("li");
      li.className = d.from_staff === staffSide ? "mine" : "theirs";
      var b = document.createElement("span"); b.className = "bubble"; b.textContent = d.body;
      li.appendChild(b);
      thread.appendChild(li);
      var empty = document.getElementById("thread-empty"); if (empty) empty.remove();
    };
    setInterval(function () { if (tws.readyState === 1) tws.send('{"type":"ping"}'); }, 30000);
  }
  // Live activity: the overview subscribes to the org's events over the WebSocket.
  var tl = document.getElementById("timeline");
  if (tl && window.WebSocket) {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/api/v1/ws");
    ws.onopen = function () { ws.send(JSON.stringify({ type: "subscribe", topic: "org:" + tl.getAttribute("data-org") })); };
    ws.onmessage = function (m) {
      var f; try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.type !== "event") return;
      var li = document.createElement("li");
      var what = document.createElement("span");
      var d = f.data.data || {};
      var words = {}; try { words = JSON.parse(tl.getAttribute("data-words") || "{}"); } catch (e) {}
      var subject = d.display_name || d.name || d.title;
      what.textContent = (words[f.data.kind] || f.data.kind) + (subject ? " · " + subject : "");
      var time = document.createElement("time"); time.textContent = new Date(f.data.at).toLocaleString();
      li.appendChild(what); li.appendChild(time);
      tl.insertBefore(li, tl.firstChild);
    };
    setInterval(function () { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, 30000);
  }

  // Mentions: typing @ in a field marked data-mentions offers the circle's members;
  // choosing one writes "@Display Name " (the server matches display names).
  var memberCache = {};
  function membersOf(url) {
    if (!memberCache[url]) {
      memberCache[url] = fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (j) { return (j.items || []).map(function (m) { return m.display_name; }); })
        .catch(function () { return []; });
    }
    return memberCache[url];
  }
  document.querySelectorAll("[data-mentions]").forEach(function (field) {
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    field.insertAdjacentElement("afterend", list);
    var active = 0, token = null;
    function close() { list.hidden = true; token = null; }
    function choose(name) {
      if (!token) return;
      var v = field.value, before = v.slice(0, token.start), after = v.slice(token.end);
      field.value = before + "@" + name + " " + after;
      var caret = (before + "@" + name + " ").length;
      field.setSelectionRange(caret, caret);
      close();
      field.focus();
    }
    function render(names) {
      list.innerHTML = "";
      names.forEach(function (n, i) {
        var li = document.createElement("li");
        li.textContent = "@" + n;
        li.setAttribute("role", "option");
        if (i === active) li.className = "on";
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(n); });
        list.appendChild(li);
      });
      list.hidden = names.length === 0;
    }
    field.addEventListener("input", function () {
      var upto = field.value.slice(0, field.selectionStart || 0);
      var m = upto.match(/(^|\s)@([^\s@]{0,30})$/);
      if (!m) { close(); return; }
      var q = m[2].toLowerCase();
      token = { start: upto.length - m[2].length - 1, end: upto.length };
      membersOf(field.getAttribute("data-mentions")).then(function (names) {
        if (!token) return;
        active = 0;
        render(names.filter(function (n) { return n.toLowerCase().indexOf(q) !== -1; }).slice(0, 6));
      });
    });
    field.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      var items = list.querySelectorAll("li");
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach(function (li, i) { li.className = i === active ? "on" : ""; });
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        choose(items[active].textContent.slice(1));
      } else if (e.key === "Escape") {
        close();
      }
    });
    field.addEventListener("blur", function () { setTimeout(close, 100); });
  });
})();
