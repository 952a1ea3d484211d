(function () {
  'use strict';
  // Polls /_mock/dashboard/data and patches the tables in place: rows are
  // keyed, updated only when their data changed, and never rebuilt while
  // shown, so an open <details> stays open. Data goes in with textContent.
  var POLL_MS = 2000;
  var FILTERS = ['scanRef', 'clientId', 'status', 'event', 'state', 'inbox'];
  var here = new URLSearchParams(location.search);
  var token = here.get('token');
  var skew = 0; // the mock's clock minus this browser's, in ms
  var opened = Object.create(null); // keys of the rows whose details are open
  var timer = null;
  var busy = false;
  var again = false;
  var rendered = false;
  var lastOk = 0;
  var failure = '';

  function byId(id) {
    return document.getElementById(id);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function request(method, path, body) {
    var headers = {'X-Idenfy-Mock':'1'};
    if (token) headers.Authorization = 'Bearer ' + token;
    var init = {method: method, headers: headers, cache: 'no-store'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!r.ok) throw new Error((json && json.message) || ('HTTP ' + r.status));
        return json;
      });
    });
  }

  // ---- filters, kept in the URL so a view can be linked -----------------

  function filterInput(name) {
    return document.querySelector('[data-filter="' + name + '"]');
  }

  function ensureOption(select, value, label) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) return;
    }
    var o = el('option', null, label || value);
    o.value = value;
    select.appendChild(o);
  }

  function currentFilters() {
    var q = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var v = filterInput(name).value.trim();
      if (v) q.set(name, v);
    });
    return q;
  }

  function linkFor(q) {
    var copy = new URLSearchParams(q);
    if (token) copy.set('token', token);
    var s = copy.toString();
    return location.pathname + (s ? '?' + s : '') + location.hash;
  }

  function filtersChanged() {
    history.replaceState(null, '', linkFor(currentFilters()));
    refresh();
  }

  function setFilter(name, value) {
    var input = filterInput(name);
    if (input.tagName === 'SELECT') ensureOption(input, value);
    input.value = value;
    filtersChanged();
  }

  /** A link that narrows the view to `name` = `value`. */
  function filterLink(name, value, cls) {
    var q = currentFilters();
    q.set(name, value);
    var a = el('a', 'f' + (cls ? ' ' + cls : ''), value);
    a.href = linkFor(q);
    a.title = 'show only ' + name + ' ' + value;
    a.addEventListener('click', function (e) {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      setFilter(name, value);
    });
    return a;
  }

  function initFilters() {
    FILTERS.forEach(function (name) {
      var input = filterInput(name);
      var v = here.get(name);
      if (v) {
        if (input.tagName === 'SELECT') ensureOption(input, v);
        input.value = v;
      }
      var debounce = null;
      input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', function () {
        clearTimeout(debounce);
        debounce = setTimeout(filtersChanged, input.tagName === 'SELECT' ? 0 : 250);
      });
    });
    byId('filters').addEventListener('submit', function (e) {
      e.preventDefault();
      filtersChanged();
    });
    byId('clear-filters').addEventListener('click', function () {
      FILTERS.forEach(function (name) { filterInput(name).value = ''; });
      filtersChanged();
    });
    byId('inbox-empty').addEventListener('click', function () {
      var name = filterInput('inbox').value;
      if (!name || !confirm('Delete every message of inbox ' + name + '?')) return;
      request('DELETE', '/_mock/inbox/' + encodeURIComponent(name))
        .then(function () { say('Inbox ' + name + ' emptied.'); refresh(); },
          function (e) { say(e.message, true); });
    });
  }

  // ---- times: the browser's locale, plus "3 s ago" on the mock's clock ----

  function nowMs() {
    return Date.now() + skew;
  }

  function ago(ms) {
    var s = Math.round((nowMs() - ms) / 1000);
    var future = s < 0;
    s = Math.abs(s);
    var text;
    if (s < 60) text = s + ' s';
    else if (s < 3600) text = Math.floor(s / 60) + ' min';
    else if (s < 86400) text = Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    else text = Math.floor(s / 86400) + ' d';
    return future ? 'in ' + text : text + ' ago';
  }

  function absolute(ms) {
    var d = new Date(ms);
    var today = new Date(nowMs());
    return d.toDateString() === today.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }

  function when(ms) {
    if (ms === null || ms === undefined) return el('span', 'none', '—');
    var t = el('time');
    var d = new Date(ms);
    if (isNaN(d.getTime())) return el('span', 'none', String(ms));
    t.dateTime = d.toISOString();
    t.title = d.toISOString();
    t.setAttribute('data-ms', String(ms));
    t.appendChild(el('span', 'abs', absolute(ms)));
    t.appendChild(el('span', 'rel', ago(ms)));
    return t;
  }

  function tick() {
    var times = document.querySelectorAll('time[data-ms]');
    for (var i = 0; i < times.length; i++) {
      var ms = Number(times[i].getAttribute('data-ms'));
      times[i].lastChild.textContent = ago(ms);
    }
    var live = byId('live');
    if (failure) {
      live.textContent = 'not updating: ' + failure;
      live.className = 'live down';
    } else if (lastOk) {
      var s = Math.round((Date.now() - lastOk) / 1000);
      live.textContent = document.hidden ? 'paused' : 'live · updated ' + (s < 1 ? 'just now' : s + ' s ago');
      live.className = 'live';
    }
  }

  // ---- bodies: pretty-printed from the exact text, in the order sent -------

  function isSpace(c) {
    return c === ' ' || c === '\n' || c === '\r' || c === '\t';
  }

  /**
   * Re-indents JSON text token by token: keys keep their order, numbers and
   * escapes their spelling. Text that is not JSON is shown as it is.
   */
  function prettyBody(text) {
    var pre = el('pre', 'body');
    var valid = true;
    try { JSON.parse(text); } catch (e) { valid = false; }
    if (!valid || text.length > 262144) {
      pre.textContent = text;
      return pre;
    }
    var buf = '';
    var depth = 0;
    var i = 0;
    var n = text.length;
    function flush() {
      if (buf) pre.appendChild(document.createTextNode(buf));
      buf = '';
    }
    function token(cls, s) {
      flush();
      pre.appendChild(el('span', cls, s));
    }
    function newline() {
      buf += '\n' + new Array(depth + 1).join('  ');
    }
    while (i < n) {
      var c = text.charAt(i);
      if (c === '"') {
        var j = i + 1;
        while (j < n && text.charAt(j) !== '"') j += text.charAt(j) === '\\' ? 2 : 1;
        var k = j + 1;
        while (k < n && isSpace(text.charAt(k))) k++;
        token(text.charAt(k) === ':' ? 'k' : 'str', text.slice(i, j + 1));
        i = j + 1;
      } else if (c === '{' || c === '[') {
        var close = c === '{' ? '}' : ']';
        var m = i + 1;
        while (m < n && isSpace(text.charAt(m))) m++;
        if (text.charAt(m) === close) {
          buf += c + close;
          i = m + 1;
        } else {
          depth++;
          buf += c;
          newline();
          i++;
        }
      } else if (c === '}' || c === ']') {
        depth--;
        newline();
        buf += c;
        i++;
      } else if (c === ',') {
        buf += ',';
        newline();
        i++;
      } else if (c === ':') {
        buf += ': ';
        i++;
      } else if (isSpace(c)) {
        i++;
      } else {
        var e = i;
        while (e < n && ',]}: \n\r\t'.indexOf(text.charAt(e)) < 0) e++;
        var lit = text.slice(i, e);
        token(lit === 'null' ? 'null' : (lit === 'true' || lit === 'false') ? 'bool' : 'num', lit);
        i = e;
      }
    }
    flush();
    return pre;
  }

  // ---- small pieces ---------------------------------------------------------

  function badge(value) {
    return el('span', 's ' + value, value);
  }

  function cell(row, content, cls) {
    var td = el('td', cls);
    if (content instanceof Node) td.appendChild(content);
    else if (content !== undefined && content !== null) td.textContent = String(content);
    row.appendChild(td);
    return td;
  }

  function say(text, isError) {
    var p = byId('message');
    p.textContent = text;
    p.className = 'message' + (isError ? ' error' : '');
    p.hidden = false;
  }

  function action(label, cls, run) {
    var b = el('button', cls, label);
    b.type = 'button';
    b.addEventListener('click', function () {
      b.disabled = true;
      run().then(function (text) {
        if (text) say(text);
        refresh();
      }, function (e) {
        say(e.message, true);
        b.disabled = false;
      });
    });
    return b;
  }

  function meta(pairs) {
    var dl = el('dl', 'meta');
    pairs.forEach(function (p) {
      dl.appendChild(el('dt', null, p[0]));
      var dd = el('dd');
      if (p[1] instanceof Node) dd.appendChild(p[1]);
      else dd.textContent = String(p[1]);
      dl.appendChild(dd);
    });
    return dl;
  }

  /** A keyed row group: the main row, and a details row when `summary`. */
  function group(key, cols, summary) {
    var tb = el('tbody');
    tb.setAttribute('data-key', key);
    tb.main = el('tr');
    tb.appendChild(tb.main);
    if (summary) {
      var tr = el('tr', 'detail');
      var td = el('td');
      td.colSpan = cols;
      var details = el('details');
      details.appendChild(el('summary', null, summary));
      tb.info = el('div');
      tb.body = el('div');
      details.appendChild(tb.info);
      details.appendChild(tb.body);
      details.open = !!opened[key];
      details.addEventListener('toggle', function () {
        if (details.open) opened[key] = true;
        else delete opened[key];
      });
      td.appendChild(details);
      tr.appendChild(td);
      tb.appendChild(tr);
      tb.details = details;
    }
    return tb;
  }

  /**
   * Makes the table's row groups be `items`, in order: an existing group is
   * moved, not rebuilt, and refilled only when its item changed.
   */
  function sync(sectionId, listing, keyOf, make, fill, emptyText) {
    var section = byId(sectionId);
    var table = section.querySelector('table');
    var old = Object.create(null);
    var bodies = table.tBodies;
    for (var i = 0; i < bodies.length; i++) old[bodies[i].getAttribute('data-key')] = bodies[i];
    var prev = table.tHead;
    listing.items.forEach(function (item) {
      var key = keyOf(item);
      var tb = old[key];
      if (tb) {
        delete old[key];
      } else {
        tb = make(key, item);
        if (rendered) tb.classList.add('fresh');
      }
      var sig = JSON.stringify(item);
      if (tb.sig !== sig) {
        fill(tb, item);
        tb.sig = sig;
      }
      if (prev.nextSibling !== tb) table.insertBefore(tb, prev.nextSibling);
      prev = tb;
    });
    Object.keys(old).forEach(function (k) { table.removeChild(old[k]); });

    var count = section.querySelector('h2 .count');
    var text = listing.matched === listing.total
      ? String(listing.total)
      : listing.matched + ' of ' + listing.total + ' match';
    if (listing.items.length < listing.matched) text += ' · newest ' + listing.items.length + ' shown';
    count.textContent = text;
    var empty = section.querySelector('.empty');
    empty.hidden = listing.items.length > 0;
    empty.textContent = listing.total === 0 ? emptyText : 'Nothing matches the filters.';
  }

  // ---- the three lists --------------------------------------------------------

  var OUTCOMES = [['approve', 'Approve'], ['deny', 'Deny'], ['suspect', 'Suspect'], ['unverified', 'Unverified']];

  function fillVerification(tb, v) {
    var row = tb.main;
    clear(row);
    row.className = 'verification';
    row.setAttribute('data-scan-ref', v.scanRef);
    cell(row, filterLink('scanRef', v.scanRef, 'mono'));
    cell(row, filterLink('clientId', v.clientId));
    cell(row, v.partner);
    cell(row, badge(v.status));
    cell(row, when(v.createdAtMs));
    if (v.finishedAtMs !== null) cell(row, when(v.finishedAtMs));
    else if (v.expiresAtMs !== null) cell(row, when(v.expiresAtMs));
    else cell(row, el('span', 'none', '—'));
    var actions = cell(row, null, 'actions');
    if (v.status === 'ACTIVE') {
      OUTCOMES.forEach(function (o) {
        actions.appendChild(action(o[1], 'finish-' + o[0], function () {
          return request('POST', '/_mock/verifications/' + encodeURIComponent(v.scanRef) + '/finish',
            {outcome: o[0]}).then(function () { return v.scanRef + ': ' + o[0] + 'd.'; });
        }));
      });
    }
  }

  function lastAttempt(w) {
    var a = w.attempts[w.attempts.length - 1];
    if (!a) return '';
    return a.status !== null ? String(a.status) : (a.error || '');
  }

  function fillWebhook(tb, w) {
    var row = tb.main;
    clear(row);
    row.className = 'webhook';
    row.setAttribute('data-id', String(w.id));
    var id = cell(row, '#' + w.id);
    if (w.copyOf !== null && w.copyOf !== undefined) id.appendChild(el('span', 'tag', 'copy of #' + w.copyOf));
    var ev = cell(row, el('code', null, w.event));
    ev.appendChild(el('span', 'tag', w['final'] ? 'final' : 'not final'));
    cell(row, filterLink('scanRef', w.scanRef, 'mono'));
    cell(row, w.clientId ? filterLink('clientId', w.clientId) : el('span', 'none', '—'));
    cell(row, badge(w.state));
    var last = lastAttempt(w);
    cell(row, w.attempts.length + (last ? ' · ' + last : ''));
    cell(row, badge(w.signature));
    var sent = cell(row, when(w.createdAtMs));
    sent.appendChild(el('span', 'target', w.target || 'no target'));
    if (w.target) sent.lastChild.title = w.target;
    var actions = cell(row, null, 'actions');
    actions.appendChild(action('Replay', 'replay', function () {
      return request('POST', '/_mock/webhooks/' + w.id + '/replay').then(function (r) {
        return 'Webhook #' + w.id + ' replayed as #' + (r && r.id) + '.';
      });
    }));

    clear(tb.info);
    var headers = el('div', 'mono');
    w.headers.forEach(function (h) { headers.appendChild(el('div', null, h[0] + ': ' + h[1])); });
    var attempts = el('div');
    if (!w.attempts.length) attempts.textContent = 'none';
    w.attempts.forEach(function (a) {
      var line = el('div');
      line.appendChild(when(a.atMs));
      line.lastChild.className = 'inline';
      line.appendChild(document.createTextNode(' · ' + (a.status !== null ? 'HTTP ' + a.status : '') +
        (a.error ? (a.status !== null ? ' · ' : '') + a.error : '') + ' · ' + a.latencyMs + ' ms'));
      if (a.answer) line.appendChild(el('pre', 'answer', a.answer));
      attempts.appendChild(line);
    });
    tb.info.appendChild(meta([
      ['partner', w.partner],
      ['target', w.target || 'none: journaled only'],
      ['headers', headers],
      ['attempts', attempts]
    ]));
    // The body of an entry never changes: built once, so a selection in it stays.
    if (!tb.body.firstChild) tb.body.appendChild(prettyBody(w.body));
  }

  function fillMessage(tb, m) {
    var row = tb.main;
    clear(row);
    row.className = 'message-row';
    row.setAttribute('data-id', String(m.id));
    cell(row, '#' + m.id);
    cell(row, filterLink('inbox', m.inbox));
    cell(row, m.event ? el('code', null, m.event) : el('span', 'none', '—'));
    cell(row, m.scanRef ? filterLink('scanRef', m.scanRef, 'mono') : el('span', 'none', '—'));
    cell(row, m.clientId ? filterLink('clientId', m.clientId) : el('span', 'none', '—'));
    var sig = cell(row, badge(m.signature));
    if (m.signedBy) sig.appendChild(el('span', 'by', 'by ' + m.signedBy));
    cell(row, when(m.receivedAtMs));
    clear(tb.info);
    tb.info.appendChild(meta([
      ['content type', m.contentType || 'none'],
      ['signature', m.signature + (m.signedBy ? ' (signing key of ' + m.signedBy + ')' : '')]
    ]));
    if (!tb.body.firstChild) {
      // A body that is not text comes as base64 of its first bytes.
      var shown = m.body !== null ? m.body : 'base64: ' + m.bodyBase64;
      if (m.truncated) shown += '\n… (' + m.bodyBytes + ' bytes in all)';
      tb.body.appendChild(prettyBody(shown));
    }
  }

  function syncInboxes(inboxes) {
    var select = filterInput('inbox');
    var chosen = select.value;
    var want = [''].concat(inboxes.map(function (b) { return b.name; }));
    if (chosen && want.indexOf(chosen) < 0) want.push(chosen);
    var labels = Object.create(null);
    labels[''] = 'all inboxes';
    inboxes.forEach(function (b) { labels[b.name] = b.name + ' (' + b.count + ')'; });
    if (chosen && !labels[chosen]) labels[chosen] = chosen + ' (0)';
    var sig = JSON.stringify(labels);
    if (select.sig !== sig) {
      clear(select);
      want.forEach(function (name) {
        var o = el('option', null, labels[name]);
        o.value = name;
        select.appendChild(o);
      });
      select.value = chosen;
      select.sig = sig;
    }
    byId('inbox-empty').hidden = !chosen;
  }

  function render(d) {
    sync('verifications', d.verifications, function (v) { return 'v:' + v.scanRef; },
      function (key) { return group(key, 7, null); }, fillVerification,
      'No verifications yet: create a token with POST /api/v2/token.');
    sync('webhooks', d.webhooks, function (w) { return 'w:' + w.id; },
      function (key) { return group(key, 9, 'headers, attempts and body'); }, fillWebhook,
      'No webhooks yet: they appear when a verification finishes or expires.');
    if (d.webhooksDropped > 0) {
      byId('webhooks').querySelector('h2 .count').textContent +=
        ' · ' + d.webhooksDropped + ' dropped by the journal cap';
    }
    syncInboxes(d.inboxes);
    sync('inbox', d.inbox, function (m) { return 'm:' + m.id; },
      function (key) { return group(key, 7, 'body'); }, fillMessage,
      'The inbox is empty: point a webhook URL or callbackUrl at /_mock/inbox/<name>.');
    rendered = true;
  }

  // ---- polling ------------------------------------------------------------------

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(refresh, POLL_MS);
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    clearTimeout(timer);
    request('GET', '/_mock/dashboard/data?' + currentFilters().toString())
      .then(function (d) {
        skew = d.nowMs - Date.now();
        render(d);
        lastOk = Date.now();
        failure = '';
      }, function (e) {
        failure = e.message;
      })
      .then(function () {
        busy = false;
        tick();
        if (again) {
          again = false;
          refresh();
        } else {
          schedule();
        }
      });
  }

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      clearTimeout(timer);
      tick();
    } else {
      refresh();
    }
  });

  initFilters();
  refresh();
  setInterval(tick, 1000);
})();
