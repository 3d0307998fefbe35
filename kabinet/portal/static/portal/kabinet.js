/* Kabinet's only script: countdowns on code pages, the guided tour («Начать знакомство»), the
   name menu, appeal forms, file inputs and a payment's status. When it has bound everything it
   marks <html data-ready>. Every page works without it; it only adds to what the server already rendered. */
(function () {
  "use strict";

  function formatSeconds(total) {
    var m = Math.floor(total / 60), s = total % 60;
    return m > 0 ? m + " мин " + (s < 10 ? "0" : "") + s + " с" : s + " с";
  }

  function startCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = parseInt(el.getAttribute("data-countdown"), 10) || 0;
      var prefix = el.getAttribute("data-countdown-prefix") || "";
      var target = el.getAttribute("data-countdown-enables");
      var button = target && document.getElementById(target);
      if (button && left > 0) button.disabled = true;
      el.hidden = false;
      function tick() {
        el.textContent = prefix + formatSeconds(Math.max(left, 0));
        if (left <= 0) {
          if (button) button.disabled = false;
          return;
        }
        left -= 1;
        setTimeout(tick, 1000);
      }
      tick();
    });
  }

  /* ---- The tour: steps are elements with data-tour="N", title and text in attributes. ---- */
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function Tour(steps, doneUrl) {
    this.steps = steps;
    this.doneUrl = doneUrl;
    this.index = 0;
    this.opener = document.activeElement;
  }

  Tour.prototype.open = function () {
    this.backdrop = document.createElement("div");
    this.backdrop.className = "tour-backdrop";
    this.dialog = document.createElement("div");
    this.dialog.className = "tour-dialog";
    this.dialog.setAttribute("role", "dialog");
    this.dialog.setAttribute("aria-modal", "true");
    this.dialog.setAttribute("aria-labelledby", "tour-title");
    this.dialog.innerHTML =
      '<p class="tour-progress"></p><h2 id="tour-title"></h2><p class="tour-text"></p>' +
      '<div class="actions"><button type="button" class="button" data-act="prev">Назад</button>' +
      '<button type="button" class="button button-primary" data-act="next">Далее</button>' +
      '<button type="button" class="link-button" data-act="close">Завершить знакомство</button></div>';
    document.body.appendChild(this.backdrop);
    document.body.appendChild(this.dialog);
    var self = this;
    this.dialog.addEventListener("click", function (e) {
      var act = e.target.getAttribute("data-act");
      if (act === "prev") self.go(self.index - 1);
      if (act === "next") self.index === self.steps.length - 1 ? self.close() : self.go(self.index + 1);
      if (act === "close") self.close();
    });
    this.onKey = function (e) { self.key(e); };
    document.addEventListener("keydown", this.onKey);
    this.onResize = function () { self.place(); };  // a phone turned sideways
    window.addEventListener("resize", this.onResize);
    this.backdrop.addEventListener("click", function () { self.close(); });
    this.go(0);
  };

  Tour.prototype.go = function (i) {
    if (i < 0 || i >= this.steps.length) return;
    unhighlight(this.current);
    this.index = i;
    var step = this.steps[i];
    this.current = step;
    highlight(step);
    if (step.tagName === "DETAILS") step.open = false;
    this.dialog.querySelector(".tour-progress").textContent = "Шаг " + (i + 1) + " из " + this.steps.length;
    this.dialog.querySelector("#tour-title").textContent = step.getAttribute("data-tour-title");
    this.dialog.querySelector(".tour-text").textContent = step.getAttribute("data-tour-text");
    this.dialog.querySelector("[data-act=prev]").disabled = i === 0;
    var next = this.dialog.querySelector("[data-act=next]");
    next.textContent = i === this.steps.length - 1 ? "Готово" : "Далее";
    this.place();
    next.focus({ preventScroll: true });
  };

  // The element stands above the backdrop; one with no background of its own would show the
  // dimmed page through it, so it borrows the colour it stood on, keeping its look.
  function highlight(el) {
    el.classList.add("tour-highlight");
    if (!opaque(getComputedStyle(el).backgroundColor)) el.style.backgroundColor = backgroundBehind(el);
  }

  function unhighlight(el) {
    if (!el) return;
    el.classList.remove("tour-highlight");
    el.style.backgroundColor = "";
  }

  function opaque(color) {
    return color !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(color);
  }

  function backgroundBehind(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      var color = getComputedStyle(node).backgroundColor;
      if (opaque(color)) return color;
    }
    return "#fff";
  }

  /* The dialog goes to the side of the screen away from the element (the bottom first, the top
     when the element sits too low to be scrolled above it), and the page scrolls the element into
     the space the dialog leaves, ring included, so the dialog never covers what it explains. */
  var RING = 12, MARGIN = 16;  // outline and its offset with a little air; the dialog's 1rem

  Tour.prototype.place = function () {
    var view = window.innerHeight, height = this.dialog.offsetHeight;
    var box = this.current.getBoundingClientRect();
    var top = box.top + window.scrollY, bottom = box.bottom + window.scrollY;
    var spaces = [
      { atTop: false, from: 0, to: view - height - MARGIN },  // dialog at the bottom
      { atTop: true, from: height + MARGIN, to: view }        // dialog at the top
    ];
    var chosen = null, scroll = 0;
    for (var k = 0; k < spaces.length && !chosen; k++) {
      var space = spaces[k];
      var wanted = clampScroll((top + bottom) / 2 - (space.from + space.to) / 2);
      if (top - RING - wanted >= space.from && bottom + RING - wanted <= space.to) { chosen = space; scroll = wanted; }
    }
    if (!chosen) {  // taller than the space left: show its top, the dialog below
      chosen = spaces[0];
      scroll = clampScroll(top - RING);
    }
    this.dialog.classList.toggle("tour-dialog-top", chosen.atTop);
    window.scrollTo({ top: scroll, behavior: "instant" });
  };

  function clampScroll(y) {
    var most = document.documentElement.scrollHeight - window.innerHeight;
    return Math.max(0, Math.min(y, most));
  }

  Tour.prototype.key = function (e) {
    if (e.key === "Escape") { e.preventDefault(); this.close(); return; }
    if (e.key === "ArrowRight") this.go(this.index + 1);
    if (e.key === "ArrowLeft") this.go(this.index - 1);
    if (e.key === "Tab") {
      // Keep focus inside the dialog while it is open.
      var items = Array.prototype.filter.call(this.dialog.querySelectorAll("button"), function (b) { return !b.disabled; });
      var first = items[0], last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  };

  Tour.prototype.close = function () {
    unhighlight(this.current);
    document.removeEventListener("keydown", this.onKey);
    window.removeEventListener("resize", this.onResize);
    this.dialog.remove();
    this.backdrop.remove();
    if (this.doneUrl) {
      fetch(this.doneUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        // Only a 204 means it was saved: an expired session answers with the login page (200
        // after the redirect), and the offer must then stay, as it will after a reload.
        if (response.status !== 204) return;
        var offer = document.querySelector(".tour-offer");
        if (offer) offer.remove();
      });
    }
    if (this.opener && this.opener.focus) this.opener.focus();
  };

  function tourSteps() {
    var steps = Array.prototype.slice.call(document.querySelectorAll("[data-tour]"));
    steps.sort(function (a, b) { return a.getAttribute("data-tour") - b.getAttribute("data-tour"); });
    return steps.filter(function (el) { return el.getClientRects().length > 0; });
  }

  function startTour() {
    var steps = tourSteps();
    if (!steps.length) return false;
    var doneUrl = document.body.getAttribute("data-tour-done-url");
    new Tour(steps, doneUrl).open();
    return true;
  }

  function setUpTour() {
    var onHome = document.body.hasAttribute("data-tour-page");
    document.querySelectorAll("[data-tour-start]").forEach(function (link) {
      link.addEventListener("click", function (e) {
        if (!onHome) return;  // elsewhere the link goes to the home page, which starts the tour
        e.preventDefault();
        var menu = link.closest("details");
        if (menu) menu.open = false;
        startTour();
      });
      if (!onHome) link.setAttribute("href", link.getAttribute("data-home-tour-url") || link.href);
    });
    if (onHome && document.querySelector("[data-tour-autostart]")) startTour();
  }

  /* ---- Appeal forms: progressive enhancement; without JS every field still works. ---- */

  // Characters left under a textarea with data-counter="limit", announced politely.
  function setUpCounters() {
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var limit = parseInt(area.getAttribute("data-counter"), 10);
      var out = document.createElement("p");
      out.className = "help counter";
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
      function update() {
        var left = limit - area.value.length;
        out.textContent = "Осталось символов: " + left + " из " + limit;
        out.classList.toggle("counter-low", left < limit / 10);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  // The reason list shows only the chosen topic's group (optgroup label = topic name),
  // and the documents hint of the chosen reason.
  function setUpReasons() {
    var topic = document.querySelector("select[name=topic]");
    var reason = document.querySelector("select[name=reason]");
    if (!topic || !reason) return;
    var groups = Array.prototype.slice.call(reason.querySelectorAll("optgroup"));
    function showHint() {
      document.querySelectorAll("[data-reason-hint]").forEach(function (hint) {
        hint.hidden = hint.getAttribute("data-reason-hint") !== reason.value;
      });
    }
    function filter() {
      var name = topic.selectedIndex > 0 ? topic.options[topic.selectedIndex].text : "";
      groups.forEach(function (group) {
        var match = group.label === name;
        group.hidden = !match;
        group.disabled = !match;
      });
      var chosen = reason.options[reason.selectedIndex];
      if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) reason.value = "";
      showHint();
    }
    topic.addEventListener("change", filter);
    reason.addEventListener("change", showHint);
    filter();
  }

  // «E-mail для ответа» only matters when e-mail is the chosen way to answer.
  function setUpContactMethod() {
    var box = document.querySelector("[data-show-when-email]");
    if (!box) return;
    var radios = document.querySelectorAll("input[name=contact_method]");
    function update() {
      var email = document.querySelector("input[name=contact_method][value=email]");
      box.hidden = !(email && email.checked) && !box.querySelector(".field-errors");
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  /* ---- The name menu (a <details>): Escape closes it, as it does any menu. ---- */
  function setUpMenus() {
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      });
    });
    document.addEventListener("click", function (e) {
      document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
        if (!menu.contains(e.target)) menu.open = false;
      });
    });
  }

  /* ---- File inputs: a Russian drop zone around the real <input type=file>, which still
     carries the files to the server; without JavaScript the browser's own input shows. ---- */
  function fileSize(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1).replace(".", ",") + " МБ";
    return Math.max(1, Math.round(bytes / 1024)) + " КБ";
  }

  function pluralRu(n, forms) {  // as kabinet.core.wording.plural_ru: файл, файла, файлов
    if (n % 10 === 1 && n % 100 !== 11) return forms[0];
    if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14)) return forms[1];
    return forms[2];
  }

  /* What the server will refuse (appeals.files), said before sending: too many files with the
     ticked «Уже приложены», or a file over the size limit. The server's check stays the rule. */
  function fileWarnings(input) {
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
    var maxMb = parseInt(input.getAttribute("data-max-file-mb"), 10);
    var field = input.closest(".field-files");
    var kept = field ? field.querySelectorAll("input[name=keep]:checked").length : 0;
    var warnings = [];
    var count = input.files.length + kept;
    if (maxFiles && count > maxFiles) {
      var files = count + " " + pluralRu(count, ["файл", "файла", "файлов"]);
      var chosen = kept ? "Вместе с уже приложенными " + files : pluralRu(count, ["Выбран ", "Выбрано ", "Выбрано "]) + files;
      warnings.push(chosen + " — можно не больше " + maxFiles + ".");
    }
    Array.prototype.forEach.call(input.files, function (file) {
      if (maxMb && file.size > maxMb * 1048576) warnings.push("Файл «" + file.name + "» больше " + maxMb + " МБ.");
    });
    return warnings;
  }

  function enhanceFileInput(input) {
    var zone = document.createElement("div");
    zone.className = "file-drop";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = input.multiple ? "Выбрать файлы" : "Выбрать файл";
    var hint = document.createElement("span");
    hint.className = "file-drop-hint";
    hint.textContent = input.multiple ? "или перетащите их сюда" : "или перетащите его сюда";
    var list = document.createElement("ul");
    list.className = "file-drop-list";
    list.setAttribute("aria-live", "polite");
    var warning = document.createElement("div");
    warning.className = "file-drop-warning";
    warning.setAttribute("role", "alert");
    input.parentNode.insertBefore(zone, input);
    zone.appendChild(input);
    zone.appendChild(button);
    zone.appendChild(hint);
    zone.appendChild(list);
    zone.appendChild(warning);
    input.classList.add("file-input-enhanced");
    input.tabIndex = -1;

    function show() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + fileSize(file.size) + ")";
        list.appendChild(item);
      });
      if (!input.files.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "Файлы не выбраны";
        list.appendChild(none);
      }
      warning.textContent = "";
      fileWarnings(input).forEach(function (text) {
        var line = document.createElement("p");
        line.textContent = text;
        warning.appendChild(line);
      });
    }

    // Dropped files join the ones already chosen rather than replacing them.
    function add(files) {
      var all = new DataTransfer();
      if (input.multiple) Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
      Array.prototype.forEach.call(files, function (f) {
        if (input.multiple || !all.items.length) all.items.add(f);
      });
      input.files = all.files;
      show();
    }

    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", show);
    var field = input.closest(".field-files");
    if (field) field.addEventListener("change", function (e) { if (e.target.name === "keep") show(); });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("file-drop-active"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("file-drop-active"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) add(e.dataTransfer.files);
    });
    show();
  }

  function setUpFileInputs() {
    if (typeof DataTransfer === "undefined") return;  // the browser's own input then
    document.querySelectorAll("input[type=file]").forEach(enhanceFileInput);
  }

  /* ---- The error summary (core/form_errors.html): it takes focus when the page opens, where
     the browser has not already given it (autofocus); a link to a field focuses the field and
     scrolls its label or legend into view, not only the input. ---- */
  function setUpErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    if (!document.activeElement || document.activeElement === document.body) summary.focus();
    summary.addEventListener("click", function (e) {
      var link = e.target.closest("a[href^='#']");
      var input = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      e.preventDefault();
      var label = document.querySelector("label[for='" + input.id + "']");
      var fieldset = input.closest("fieldset");
      var legend = fieldset && input.type in { radio: 1, checkbox: 1 } ? fieldset.querySelector("legend") : null;
      // A file input dressed by setUpFileInputs is hidden: its «Выбрать файлы» button stands in.
      var stand = input.classList.contains("file-input-enhanced") && input.parentNode.querySelector("button");
      (legend || label || input).scrollIntoView();
      (stand || input).focus({ preventScroll: true });
    });
  }


  /* ---- A payment's return page: ask the status endpoint until the payment is final, and put
     the server's rendering of its state in place (the box, aria-live, announces it). The server
     asks the acquirer at most every few seconds per payment; without script «Обновить» asks.
     The asking stops after ten minutes (a payment still open then is rarely confirmed soon),
     and a failed request is tried again later and later; when it stops without an answer, the
     page says so next to «Обновить». The box's data-payment-asked and data-payment-failed
     count the answers and the failures in a row, data-payment-stopped marks the end. ---- */
  var PAYMENT_POLL_FOR = 10 * 60 * 1000;
  var PAYMENT_TRIES = 6;  // failures in a row: 2, 4, 8, 16, 32 s apart, then give up
  var PAYMENT_STALLED = "Статус пока не известен. Нажмите «Обновить» позже.";

  function setUpPaymentStatus() {
    var box = document.querySelector("[data-payment-status-url]");
    if (!box) return;
    var url = box.getAttribute("data-payment-status-url");
    var started = Date.now();
    var asked = 0;
    var failed = 0;
    function state() {
      var section = box.querySelector("[data-payment-state]");
      return section ? section.getAttribute("data-payment-state") : "";
    }
    function stop() {
      box.setAttribute("data-payment-stopped", "");
      if (box.querySelector("[data-payment-final], .payment-stalled")) return;
      var note = document.createElement("p");
      note.className = "payment-stalled";
      note.textContent = PAYMENT_STALLED;
      var actions = box.querySelector(".actions");
      if (actions) actions.parentNode.insertBefore(note, actions);
      else box.appendChild(note);
    }
    function later(delay) {
      if (Date.now() - started + delay > PAYMENT_POLL_FOR) return stop();
      setTimeout(ask, delay);
    }
    function ask() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (!response.ok || !json) throw new Error("no status: " + response.status);  // e.g. signed out
          return response.json();
        })
        .then(function (data) {
          asked += 1;
          failed = 0;
          box.removeAttribute("data-payment-failed");
          if (data.status !== state()) box.innerHTML = data.html;
          box.setAttribute("data-payment-asked", String(asked));
          // Every 2 s for a minute, then every 10 s: a payment left open is rarely confirmed later.
          if (!data.final) later(asked < 30 ? 2000 : 10000);
        }, function () {
          // The network or the server failed this once: ask again, each time later.
          failed += 1;
          box.setAttribute("data-payment-failed", String(failed));
          if (failed >= PAYMENT_TRIES) return stop();
          later(1000 * Math.pow(2, failed));
        });
    }
    if (!box.querySelector("[data-payment-final]")) ask();
  }

  /* ---- Passkeys (WebAuthn, docs/second-factor.md). Shown only where the browser has them.
     The server's JSON options go to navigator.credentials; the browser's answer goes back as
     JSON in the hidden «credential» field of an ordinary form, which is then sent: the page
     that answers is the server's, as for a code (errors, recovery codes, next). ---- */
  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); }).buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: fromBase64url(item.id) });
    });
  }

  function publicKeyOptions(options, creating) {
    var key = Object.assign({}, options, { challenge: fromBase64url(options.challenge) });
    if (creating) {
      key.user = Object.assign({}, options.user, { id: fromBase64url(options.user.id) });
      key.excludeCredentials = withIds(options.excludeCredentials);
    } else {
      key.allowCredentials = withIds(options.allowCredentials);
    }
    return key;
  }

  function credentialJSON(credential) {
    var answer = credential.response, response = {};
    ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"].forEach(function (name) {
      if (answer[name]) response[name] = toBase64url(answer[name]);
    });
    if (answer.getTransports) response.transports = answer.getTransports();
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults()
    });
  }

  // The button stays disabled while a ceremony is under way (a second click would ask for a
  // second challenge and void the first); a refusal by the server shows its own `detail`.
  function passkeyCeremony(form, button, url, creating, failure) {
    var error = form.querySelector("[data-passkey-error]");
    error.hidden = true;
    button.disabled = true;
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 403) {
          return response.json().then(function (body) { throw { detail: body.detail }; }, function () { throw {}; });
        }
        if (!response.ok) throw new Error("options " + response.status);
        return response.json();
      })
      .then(function (options) {
        var publicKey = publicKeyOptions(options, creating);
        return creating ? navigator.credentials.create({ publicKey: publicKey }) : navigator.credentials.get({ publicKey: publicKey });
      })
      .then(function (credential) {
        form.querySelector("input[name=credential]").value = credentialJSON(credential);
        form.submit();
      })
      .catch(function (problem) {
        error.textContent = (problem && problem.detail) || failure;
        error.hidden = false;
        button.disabled = false;
      });
  }

  function setUpPasskeys() {
    if (!(window.PublicKeyCredential && navigator.credentials && window.fetch)) return;
    document.querySelectorAll("[data-passkey]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-passkey-missing]").forEach(function (el) { el.hidden = true; });
    // Back to a page the browser kept: an answer already sent must not ride along with a typed
    // code (the server would take the form as a passkey's), and the buttons work again.
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form input[name=credential]").forEach(function (input) { input.value = ""; });
      document.querySelectorAll("[data-passkey-register], [data-passkey-sign-in]").forEach(function (button) {
        button.disabled = false;
      });
    });
    document.querySelectorAll("[data-passkey-register]").forEach(function (button) {
      button.form.addEventListener("submit", function (event) {
        if (!button.form.querySelector("input[name=name]").value.trim()) return;  // the server says what is missing
        event.preventDefault();
        passkeyCeremony(button.form, button, button.getAttribute("data-passkey-register"), true,
          "Ключ доступа не добавлен: браузер или устройство отказали. Попробуйте ещё раз.");
      });
    });
    document.querySelectorAll("[data-passkey-sign-in]").forEach(function (button) {
      button.addEventListener("click", function () {
        passkeyCeremony(button.form, button, button.getAttribute("data-passkey-sign-in"), false,
          "Ключ доступа не подтвердил вход. Попробуйте ещё раз или введите код.");
      });
    });
  }

  /* «Скопировать…» and «Распечатать» exist only with the script: the page marks them
     [data-js-only] hidden. A copy target is an input (its value) or any element (its text,
     one line per list item). */
  function copyText(target) {
    if ("value" in target && target.tagName !== "UL") return target.value;
    var items = target.querySelectorAll("li");
    if (items.length) return Array.prototype.map.call(items, function (li) { return li.textContent.trim(); }).join("\n");
    return target.textContent.trim();
  }

  function setUpCopyAndPrint() {
    document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { button.hidden = true; return; }  // only in a secure context
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        var status = button.parentNode.querySelector("[data-copy-status]");
        navigator.clipboard.writeText(copyText(target)).then(function () {
          if (status) status.textContent = button.getAttribute("data-copied") || "Скопировано.";
        }, function () {
          if (status) status.textContent = "Не удалось скопировать: выделите текст и скопируйте вручную.";
        });
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* WebAuthn refuses an answer made at another address (http://127.0.0.1 for localhost): there
     the page says where keys work instead of offering a ceremony that must fail. */
  function setUpPasskeyOrigins() {
    document.querySelectorAll("[data-passkey-origins]").forEach(function (box) {
      var origins = box.getAttribute("data-passkey-origins").split(" ").filter(Boolean);
      if (!origins.length || origins.indexOf(window.location.origin) >= 0) return;
      box.querySelectorAll("[data-passkey], [data-passkey-missing], [data-passkey-error]").forEach(function (el) {
        el.hidden = true;
      });
      var note = box.querySelector("[data-passkey-elsewhere]");
      note.textContent = "Ключи доступа работают только по адресу " + origins[0] +
        ". Откройте личный кабинет по этому адресу.";
      note.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startCountdowns();
    setUpTour();
    setUpMenus();
    setUpCounters();
    setUpReasons();
    setUpContactMethod();
    setUpFileInputs();
    setUpErrorSummary();
    setUpPaymentStatus();
    setUpPasskeys();
    setUpPasskeyOrigins();
    setUpCopyAndPrint();
    // Everything above is bound: browser tests (and anyone else) may act on the page now.
    document.documentElement.setAttribute("data-ready", "");
  });
})();
