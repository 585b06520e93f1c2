/*
 * Keycloak Sentinel: puts the realm's CAPTCHA widget on a Keycloak login, registration or
 * reset page. The server adds this script only when the request needs a CAPTCHA. It asks the
 * realm's /sentinel-captcha/widget endpoint what to show (for the built-in proof-of-work, a
 * fresh signed challenge), loads the widget's script, and inserts the widget before the form's
 * buttons. Works with any login theme that keeps Keycloak's form ids. Without JavaScript the
 * page's server-rendered message explains what is needed.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var params = new URL(me.src, document.baseURI).searchParams;
  var endpoint = params.get("endpoint");
  var formKind = params.get("form") || "login";
  var FORM_IDS = ["kc-form-login", "kc-register-form", "kc-reset-password-form"];

  function findForm() {
    for (var i = 0; i < FORM_IDS.length; i++) {
      var f = document.getElementById(FORM_IDS[i]);
      if (f) return f;
    }
    return document.querySelector("form[method=post]");
  }

  function sameOrigin(url) {
    try {
      return new URL(url, document.baseURI).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function loadScripts(urls, done, failed) {
    if (!urls.length) return done();
    var s = document.createElement("script");
    s.src = urls[0];
    s.async = false;
    s.onload = function () { loadScripts(urls.slice(1), done, failed); };
    s.onerror = failed;
    document.head.appendChild(s);
  }

  function place(form, box) {
    var buttons = form.querySelector("#kc-form-buttons") || form.querySelector("[type=submit]");
    if (buttons && buttons.parentNode) {
      buttons.parentNode.insertBefore(box, buttons);
    } else {
      form.appendChild(box);
    }
  }

  function notice(form, text) {
    var p = document.createElement("p");
    p.className = "sentinel-captcha-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    var box = document.createElement("div");
    box.appendChild(p);
    place(form, box);
  }

  /* reCAPTCHA v3 has nothing to click: it scores the request when the form is sent. */
  function invisibleOnSubmit(form, widget) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = widget.field;
    form.appendChild(field);
    var sitekey = widget.attributes["data-sitekey"];
    var action = widget.attributes["data-action"] || formKind;
    form.addEventListener("submit", function (event) {
      if (field.value) return;
      event.preventDefault();
      window.grecaptcha.ready(function () {
        window.grecaptcha.execute(sitekey, { action: action }).then(function (token) {
          field.value = token;
          form.submit();
        });
      });
    });
  }

  function render(form, widget) {
    var box = document.createElement("div");
    box.className = "sentinel-captcha " + (widget.attributes["class"] ? "" : "pf-v5-c-form__group");
    box.id = "sentinel-captcha";
    box.setAttribute("role", "group");
    if (widget.labels && widget.labels.label) box.setAttribute("aria-label", widget.labels.label);
    if (widget.invisible) {
      invisibleOnSubmit(form, widget);
      return;
    }
    var el = document.createElement(widget.element);
    Object.keys(widget.attributes).forEach(function (name) {
      el.setAttribute(name, widget.attributes[name]);
    });
    box.appendChild(el);
    place(form, box);
  }

  function start() {
    var form = findForm();
    if (!form || !endpoint || !sameOrigin(endpoint)) return;
    var url = new URL(endpoint, document.baseURI);
    url.searchParams.set("form", formKind);
    if (document.documentElement.lang) url.searchParams.set("lang", document.documentElement.lang);
    fetch(url.toString(), { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (widget) {
        var scripts = (widget.scripts || []).filter(function (s) { return typeof s === "string"; });
        loadScripts(scripts, function () { render(form, widget); }, function () {
          notice(form, (widget.labels && widget.labels.loadFailed) || "The security check could not be loaded. Please reload this page.");
        });
      })
      .catch(function () {
        notice(form, "The security check could not be loaded. Please reload this page.");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
