// Passkeys (WebAuthn) for the second factor; see web/pages_passkey.go.
// A form with data-passkey-ceremony="create" or "get" fetches its options
// from data-options, asks the browser for the passkey, puts the answer
// into its hidden "credential" field and is submitted like any form.
// Without WebAuthn the passkey parts ([data-passkey]) stay hidden.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) {
    return;
  }

  function toBuffer(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toBase64URL(buf) {
    var bytes = new Uint8Array(buf);
    var s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: toBuffer(c.id), transports: c.transports };
    });
  }

  function publicKey(ceremony, options) {
    var p = options.publicKey;
    p.challenge = toBuffer(p.challenge);
    if (ceremony === "create") {
      p.user.id = toBuffer(p.user.id);
      p.excludeCredentials = descriptors(p.excludeCredentials);
    } else {
      p.allowCredentials = descriptors(p.allowCredentials);
    }
    return p;
  }

  function encode(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toBase64URL(cred.rawId),
      type: cred.type,
      clientExtensionResults: {},
      response: { clientDataJSON: toBase64URL(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) {
      out.authenticatorAttachment = cred.authenticatorAttachment;
    }
    if (r.attestationObject) {
      out.response.attestationObject = toBase64URL(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = toBase64URL(r.authenticatorData);
      out.response.signature = toBase64URL(r.signature);
      if (r.userHandle) {
        out.response.userHandle = toBase64URL(r.userHandle);
      }
    }
    return out;
  }

  function setup(form) {
    var ceremony = form.getAttribute("data-passkey-ceremony");
    var field = form.querySelector('input[name="credential"]');
    var button = form.querySelector('button[type="submit"]');
    var error = form.querySelector("[data-passkey-error]");
    error.hidden = true;

    function fail(message) {
      error.textContent = message || error.getAttribute("data-message");
      error.hidden = false;
      button.disabled = false;
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      button.disabled = true;
      error.hidden = true;
      fetch(form.getAttribute("data-options"), {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) {
            throw new Error(body && body.error ? body.error.message : "");
          }
          return body;
        });
      }).then(function (options) {
        var p = publicKey(ceremony, options);
        return ceremony === "create" ? navigator.credentials.create({ publicKey: p }) : navigator.credentials.get({ publicKey: p });
      }).then(function (cred) {
        field.value = JSON.stringify(encode(cred));
        form.submit();
      }).catch(function (err) {
        // A cancelled or refused browser dialog: the translated text.
        fail(err && err.name === "Error" ? err.message : "");
      });
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (el) {
    el.hidden = false;
  });
  document.querySelectorAll("[data-passkey-fallback]").forEach(function (el) {
    el.hidden = true;
  });
  document.querySelectorAll("form[data-passkey-ceremony]").forEach(setup);
})();
