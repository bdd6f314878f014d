// room.js runs one appointment's video room in the browser: the camera
// check, the waiting room, and a peer-to-peer WebRTC call with a text chat.
// The server only introduces the two browsers (docs/signaling.md); media
// and chat go directly between them, end to end encrypted. Every text
// shown comes from the page's translation block (#room-i18n).
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);

  // Before the room opens, the page only waits and reloads when it opens.
  const wait = $("room-wait");
  if (wait) {
    const ms = Number(wait.dataset.waitMs);
    if (ms >= 0 && ms < 24 * 3600 * 1000) {
      setTimeout(() => location.reload(), ms + 1000 + Math.random() * 3000);
    }
    return;
  }
  const root = $("room");
  if (!root) {
    return;
  }

  let texts = {};
  try {
    texts = JSON.parse($("room-i18n").textContent);
  } catch (err) {
    console.warn("room: translations", err);
  }
  // t translates a catalog key, filling {placeholders} from args.
  function t(key, args) {
    let s = texts[key] || key;
    for (const name in args || {}) {
      s = s.split("{" + name + "}").join(String(args[name]));
    }
    return s;
  }

  const role = root.dataset.role; // "client" or "counselor"
  const apiURL = root.dataset.api;
  const relayOnly = new URLSearchParams(location.search).get("relay") === "1";
  const peerName = t(role === "counselor" ? "room.chat.client" : "room.chat.counselor");

  const el = {
    status: $("room-status"), alert: $("room-alert"), alertText: $("room-alert-text"),
    setup: $("room-setup"), preview: $("room-preview"), previewOff: $("room-preview-off"),
    camera: $("room-camera"), microphone: $("room-microphone"), audioOnlyChoice: $("room-audio-only-choice"),
    join: $("room-join"), retry: $("room-retry"),
    lobby: $("room-lobby"), admit: $("room-admit"), lobbyPreview: $("room-lobby-preview"), level: $("room-lobby-level"),
    call: $("room-call"), remote: $("room-remote"), remoteOff: $("room-remote-off"), local: $("room-local"),
    play: $("room-play"), mute: $("room-mute"), cameraOff: $("room-camera-off"), audioOnly: $("room-audio-only"),
    lowQuality: $("room-low-quality"), hangup: $("room-hangup"), end: $("room-end"),
    quality: $("room-quality"), code: $("security-code"),
    chatLog: $("room-chat-log"), chatForm: $("room-chat-form"), chatInput: $("room-chat-input"), chatSend: $("room-chat-send"),
    done: $("room-done"), doneText: $("room-done-text"), rejoin: $("room-rejoin"),
  };

  // show makes one of the four stages visible. When that hides the
  // focused control (e.g. Join), keyboard focus moves to the new stage.
  function show(stage) {
    if (!stage.hidden) {
      return;
    }
    for (const s of [el.setup, el.lobby, el.call, el.done]) {
      s.hidden = s !== stage;
    }
    if (stage === el.lobby) {
      levelStart();
    } else {
      levelStop();
    }
    const focused = document.activeElement;
    if (!focused || focused === document.body || focused.closest("[hidden]")) {
      const target = stage.querySelector("h2, .lead");
      if (target) {
        target.tabIndex = -1;
        target.focus();
      }
    }
  }
  // status announces a state change (the element is an aria-live region).
  function status(key, args) {
    el.status.textContent = key ? t(key, args) : "";
  }
  // showAlert shows an error text, or hides the error when text is empty.
  function showAlert(text) {
    el.alertText.textContent = text || "";
    el.alert.hidden = !text;
  }
  function pressed(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  const supported = !!(window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
    window.WebSocket && window.crypto && window.crypto.subtle && window.TextEncoder);

  // ---- Camera and microphone ----

  const media = {
    stream: null,      // the local audio and video tracks
    muted: false,
    cameraOff: false,  // in the call: the camera is stopped
    audioOnly: false,  // no video in either direction
    lowQuality: false,
    qualityByUser: false, // the person chose; do not switch automatically
  };

  function videoTrack() {
    return media.stream ? media.stream.getVideoTracks()[0] || null : null;
  }
  function audioTrack() {
    return media.stream ? media.stream.getAudioTracks()[0] || null : null;
  }
  function stopMedia() {
    if (media.stream) {
      media.stream.getTracks().forEach((tr) => tr.stop());
    }
    media.stream = null;
    levelStop();
    refreshPreviews();
  }
  function videoConstraints() {
    const c = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, max: 30 } };
    if (el.camera.value) {
      c.deviceId = { exact: el.camera.value };
    }
    return c;
  }
  function audioConstraints() {
    const c = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (el.microphone.value) {
      c.deviceId = { exact: el.microphone.value };
    }
    return c;
  }

  // mediaError turns a getUserMedia failure into a message key.
  function mediaError(err) {
    switch (err && err.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "room.err.permission";
      case "NotReadableError":
      case "AbortError":
        return "room.err.in_use";
      case "NotFoundError":
      case "OverconstrainedError":
        return "room.err.no_devices";
    }
    return "room.err.media";
  }

  // startMedia (re)opens the chosen microphone and, unless audio only,
  // camera. Without a camera it falls back to the microphone alone.
  async function startMedia() {
    stopMedia();
    showAlert("");
    el.retry.hidden = true;
    const wantVideo = !media.audioOnly;
    const gum = (c) => navigator.mediaDevices.getUserMedia(c);
    try {
      try {
        media.stream = await gum({ audio: audioConstraints(), video: wantVideo ? videoConstraints() : false });
      } catch (err) {
        if (err.name !== "OverconstrainedError" && !(err.name === "NotFoundError" && (el.camera.value || el.microphone.value))) {
          throw err;
        }
        // A remembered device is gone: take the defaults.
        el.camera.value = "";
        el.microphone.value = "";
        media.stream = await gum({ audio: audioConstraints(), video: wantVideo ? videoConstraints() : false });
      }
    } catch (err) {
      if (!wantVideo || err.name !== "NotFoundError") {
        fail(err);
        return;
      }
      try {
        media.stream = await gum({ audio: audioConstraints(), video: false });
        setAudioOnlyChoice(true);
        showAlert(t("room.err.no_camera"));
      } catch (err2) {
        fail(err2);
        return;
      }
    }
    media.muted = false;
    await listDevices();
    refreshPreviews();
    if (!el.lobby.hidden) {
      levelStart();
    }

    function fail(err) {
      console.warn("room: getUserMedia", err);
      showAlert(t(mediaError(err)));
      el.retry.hidden = false;
      refreshPreviews();
    }
  }

  // listDevices fills the camera and microphone choices. Browsers tell
  // device names only after permission was given.
  async function listDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (err) {
      return;
    }
    const fill = (select, kind, track, nameKey) => {
      const current = track && track.getSettings ? track.getSettings().deviceId : select.value;
      select.textContent = "";
      let n = 0;
      for (const d of devices) {
        if (d.kind !== kind || !d.deviceId) {
          continue;
        }
        n++;
        const o = document.createElement("option");
        o.value = d.deviceId;
        o.textContent = d.label || t(nameKey, { n: n });
        o.selected = d.deviceId === current;
        select.append(o);
      }
      select.disabled = n === 0;
    };
    fill(el.camera, "videoinput", videoTrack(), "room.device.camera_n");
    fill(el.microphone, "audioinput", audioTrack(), "room.device.microphone_n");
  }

  function refreshPreviews() {
    const hasVideo = !!videoTrack();
    for (const v of [el.preview, el.local, el.lobbyPreview]) {
      if (v && v.srcObject !== media.stream) {
        v.srcObject = media.stream;
      }
    }
    el.previewOff.hidden = hasVideo;
    el.local.hidden = !hasVideo;
  }

  function setAudioOnlyChoice(on) {
    media.audioOnly = on;
    el.audioOnlyChoice.checked = on;
    pressed(el.audioOnly, on);
    el.cameraOff.disabled = on;
  }

  // ---- Signaling ----

  let ws = null;
  let attempt = 0;       // reconnect attempts since the last open socket
  let reconnectTimer = 0;
  let stopped = false;   // the room is over for this page: never reconnect
  let iceServers = [];
  let queue = Promise.resolve(); // messages are handled one after another

  function send(m) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(m));
    }
  }

  // connect fetches the room (fresh TURN credentials) and opens the
  // signaling socket. The room answering 404 or 409 ends the page's stay.
  async function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    if (stopped) {
      return;
    }
    let room;
    try {
      const res = await fetch(apiURL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
      if (!res.ok) {
        let msg = "";
        try {
          msg = (await res.json()).error.message;
        } catch (err) {
          // keep the generic text
        }
        if (res.status === 401) {
          return finish(t("room.err.login"), true);
        }
        if (res.status === 404) {
          return finish(msg || t("room.err.gone"), false);
        }
        if (res.status === 409) {
          return finish(msg || t("room.err.closed"), false);
        }
        throw new Error("room: status " + res.status);
      }
      room = await res.json();
    } catch (err) {
      console.warn("room: load", err);
      if (attempt > 2) {
        showAlert(t("room.err.load"));
      }
      return reconnectLater();
    }
    if (stopped) {
      return;
    }
    iceServers = Array.isArray(room.ice_servers) ? room.ice_servers : [];
    let sock;
    try {
      sock = new WebSocket(room.signal_url);
    } catch (err) {
      console.warn("room: signal_url", err);
      return reconnectLater();
    }
    ws = sock;
    sock.onopen = () => {
      attempt = 0;
      showAlert("");
    };
    sock.onmessage = (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch (err) {
        return;
      }
      queue = queue.then(() => (ws === sock ? handle(m) : null)).catch((err) => console.warn("room:", m.type, err));
    };
    sock.onclose = (ev) => {
      if (ws !== sock) {
        return;
      }
      ws = null;
      if (ev.code === 4401) {
        // The session ended (logout elsewhere, expiry): docs/signaling.md.
        finish(t("room.err.login"), true);
        return;
      }
      if (stopped) {
        return;
      }
      if (ev.code === 1012) {
        // Service restart (docs/signaling.md): the server goes away, the
        // call's media, peer to peer, does not. Reconnect at once (to
        // another server behind the load balancer) and keep the call, if
        // it is up: one still being set up may have lost an offer or
        // answer with the server, so "ready" starts it afresh and the
        // fingerprint check in onDescription makes the peer follow.
        if (pc && pc.connectionState === "connected") {
          resuming = true;
          tellPeer({ signal: "restart" });
        }
        reconnectLater(true);
        return;
      }
      reconnectLater();
    };
  }

  // reconnectLater connects again after a jittered backoff; soon: after a
  // short jittered delay, so that clients spread a restart's load.
  function reconnectLater(soon) {
    if (stopped || reconnectTimer) {
      return;
    }
    if (!resuming) {
      status("room.status.reconnecting");
    }
    let delay = 100 + Math.random() * 400;
    if (!soon) {
      delay = Math.min(15000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
      attempt++;
    }
    reconnectTimer = setTimeout(connect, delay);
  }

  // A call survives a restart of the signaling server: both sides keep
  // their peer connection through the reconnect (resuming), and the other
  // side learns over the data channel that our "peer-left" is a restart.
  let resuming = false;   // our socket closed with 1012 during the call
  let peerRestartAt = 0;  // when the peer said its server restarts
  let peerBye = false;    // the peer said it hangs up
  let leftTimer = 0;

  // keepCall: the call survives the signaling server's restart, unless
  // the peer hung up meanwhile ("peer-left" then ends it).
  function keepCall() {
    return !!pc && !peerBye && pc.connectionState !== "closed" && pc.connectionState !== "failed" &&
      (resuming || Date.now() - peerRestartAt < 30000);
  }
  // tellPeer sends a control note on the chat channel (old clients ignore it).
  function tellPeer(m) {
    if (dc && dc.readyState === "open") {
      try {
        dc.send(JSON.stringify(m));
      } catch (err) {
        // the channel is closing
      }
    }
  }
  // resumed: both sides are back after a restart; the call goes on with
  // fresh TURN credentials for a later ICE restart.
  function resumed() {
    resuming = false;
    peerRestartAt = 0;
    clearTimeout(leftTimer);
    try {
      pc.setConfiguration(Object.assign(pc.getConfiguration(), { iceServers: iceServers }));
    } catch (err) {
      console.warn("room: ICE servers", err);
    }
    if (pc.signalingState === "have-local-offer" && pc.localDescription) {
      // An offer (an ICE restart's) sent while either side's signaling was
      // away is lost, and restartIce does nothing until it is answered:
      // send it again. An answer to it that was lost comes again too.
      send({ type: "description", description: pc.localDescription });
    } else if (pc.iceConnectionState === "failed") {
      pc.restartIce();
    }
    connectionChanged();
  }
  window.addEventListener("online", () => {
    if (reconnectTimer) {
      connect();
    }
  });

  async function handle(m) {
    if (keepCall()) {
      // After a restart the new server knows nothing of the call: the
      // counselor admits again (the client they are talking to), and
      // "ready" finds the call still there.
      switch (m.type) {
        case "welcome":
          polite = !!m.polite;
          return;
        case "waiting":
          return;
        case "client-waiting":
          send({ type: "admit" });
          return;
        case "peer-left":
          return;
        case "ready":
          resumed();
          return;
      }
    }
    switch (m.type) {
      case "welcome":
        polite = !!m.polite;
        if (m.role === "counselor" && !m.peer_present) {
          lobby("room.status.counselor_alone");
        } else if (m.admitted && !m.peer_present) {
          lobby("room.status.peer_left"); // admitted before; the counselor is away
        } else if (m.role === "counselor" || m.admitted) {
          lobby("room.status.connecting");
        } // else "waiting" follows
        break;
      case "waiting":
        if (!media.stream && el.done.hidden === false) {
          await startMedia(); // the counselor reopened an ended session
        }
        lobby(m.peer_present ? "room.status.waiting" : "room.status.waiting_absent");
        break;
      case "client-waiting":
        lobby("room.status.client_waiting");
        if (el.admit) {
          el.admit.hidden = false;
          el.admit.disabled = false;
        }
        break;
      case "ready":
        startCall();
        break;
      case "peer-left":
        peerLeft();
        break;
      case "ended":
        closeCall();
        stopMedia();
        if (role === "counselor") {
          finish(t("room.status.ended_by_you"), true);
        } else {
          // Stay connected: if the counselor reopens the session, the
          // client waits again.
          done(t("room.status.ended"));
        }
        break;
      case "replaced":
        finish(t("room.status.replaced"), true);
        break;
      case "error":
        if (m.message === "signal.err.replaced") {
          finish(t("room.status.replaced"), true);
        } else {
          showAlert(t(m.message || "signal.err.invalid"));
        }
        break;
      case "description":
        await onDescription(m.description);
        break;
      case "candidate":
        await onCandidate(m.candidate);
        break;
    }
  }

  // peerLeft ends the call, unless the peer's server restarts: its
  // "restart" note may come a moment after the "peer-left".
  function peerLeft() {
    const p = pc;
    if (!p || peerBye || p.connectionState !== "connected") {
      closeCall();
      lobby("room.status.peer_left");
      return;
    }
    clearTimeout(leftTimer);
    leftTimer = setTimeout(() => {
      if (p === pc && !keepCall()) {
        closeCall();
        lobby("room.status.peer_left");
      }
    }, 1500);
  }

  function lobby(key) {
    closeCall();
    show(el.lobby);
    cue(key === "room.status.client_waiting");
    if (el.admit) {
      el.admit.hidden = key !== "room.status.client_waiting";
    }
    status(key);
  }

  // done shows a final message with the ways on: join again, or leave.
  function done(text) {
    cue(false);
    el.doneText.textContent = text;
    show(el.done);
    status("");
  }

  // finish ends this page's stay in the room; rejoin says whether joining
  // again makes sense.
  function finish(text, rejoin) {
    stopped = true;
    tellPeer({ signal: "bye" });
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    if (ws) {
      const sock = ws;
      ws = null;
      sock.close(1000);
    }
    closeCall();
    stopMedia();
    done(text);
    el.rejoin.hidden = !rejoin;
  }

  // ---- Waiting room: the client's sound check, the counselor's cue ----

  let audioCtx = null;
  // audio returns the page's AudioContext. The first call comes from the
  // Join click: browsers let only such a context play sound.
  function audio() {
    if (!audioCtx) {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) {
        return null;
      }
      try {
        audioCtx = new AC();
      } catch (err) {
        return null;
      }
    }
    if (audioCtx.state === "suspended") {
      audioCtx.resume().catch(() => {});
    }
    return audioCtx;
  }

  // The client's level meter shows that the microphone hears them.
  let level = null; // { source, timer } while it runs
  function levelStart() {
    levelStop();
    const track = audioTrack();
    const ctx = el.level && track && audioCtx ? audio() : null;
    if (!ctx) {
      return;
    }
    let source;
    try {
      source = ctx.createMediaStreamSource(new MediaStream([track]));
    } catch (err) {
      return;
    }
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser); // not to the speakers: no echo
    const samples = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const x of samples) {
        sum += x * x;
      }
      el.level.value = Math.min(1, 4 * Math.sqrt(sum / samples.length));
    }, 150);
    level = { source: source, timer: timer };
  }
  function levelStop() {
    if (level) {
      clearInterval(level.timer);
      level.source.disconnect();
      level = null;
    }
    if (el.level) {
      el.level.value = 0;
    }
  }

  // cue tells the counselor that the client is waiting, also when this tab
  // is in the background: in the tab's title while they wait, and with one
  // short tone (made here, no sound file).
  const baseTitle = document.title;
  let cueing = false;
  function cue(on) {
    if (role !== "counselor" || on === cueing) {
      return;
    }
    cueing = on;
    document.title = on ? t("room.cue.title", { title: baseTitle }) : baseTitle;
    if (on) {
      chime();
    }
  }
  function chime() {
    const ctx = audioCtx && audio();
    if (!ctx) {
      return;
    }
    try {
      const start = ctx.currentTime + 0.05;
      [660, 880].forEach((freq, i) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        const at = start + i * 0.18;
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(at);
        osc.stop(at + 0.32);
      });
    } catch (err) {
      console.warn("room: tone", err);
    }
  }

  // ---- The call ----

  let pc = null;
  let dc = null;
  let polite = false;
  let makingOffer = false;
  let ignoreOffer = false;
  let videoSender = null;
  let remoteStream = null;
  let statsTimer = 0;
  let disconnectTimer = 0;
  let offerTimer = 0;
  let connectTimer = 0;
  let localAdded = false; // the chat channel and the local tracks are on pc

  function startCall() {
    closeCall();
    peerBye = false;
    cue(false);
    show(el.call);
    status(role === "client" ? "room.status.admitted" : "room.status.connecting");
    const config = { iceServers: iceServers };
    if (relayOnly) {
      config.iceTransportPolicy = "relay";
    }
    const p = new RTCPeerConnection(config);
    pc = p;
    makingOffer = false;
    ignoreOffer = false;
    remoteStream = new MediaStream();
    el.remote.srcObject = remoteStream;
    el.remoteOff.hidden = true;

    p.onnegotiationneeded = async () => {
      try {
        makingOffer = true;
        await p.setLocalDescription();
        if (p === pc) {
          send({ type: "description", description: p.localDescription });
        }
      } catch (err) {
        console.warn("room: offer", err);
      } finally {
        makingOffer = false;
      }
    };
    p.onicecandidate = (e) => {
      if (p === pc && e.candidate && e.candidate.candidate) {
        send({ type: "candidate", candidate: e.candidate.toJSON() });
      }
    };
    p.oniceconnectionstatechange = () => {
      if (p !== pc) {
        return;
      }
      clearTimeout(disconnectTimer);
      if (p.iceConnectionState === "failed") {
        p.restartIce();
      } else if (p.iceConnectionState === "disconnected") {
        // Give a brief outage a few seconds before starting over.
        disconnectTimer = setTimeout(() => {
          if (p === pc && p.iceConnectionState === "disconnected") {
            p.restartIce();
          }
        }, 5000);
      }
      connectionChanged();
    };
    p.onconnectionstatechange = connectionChanged;
    p.ontrack = (e) => {
      if (p !== pc) {
        return;
      }
      const track = e.track;
      if (!remoteStream.getTracks().includes(track)) {
        remoteStream.addTrack(track);
      }
      if (track.kind === "video") {
        track.onmute = track.onunmute = track.onended = remoteVideoChanged;
      }
      remoteVideoChanged();
      playRemote();
    };

    // Both get ready at the same moment. If both offered at once, the
    // polite side would roll its offer back, and Chromium then sometimes
    // never gathers candidates for its answer. So the impolite side offers
    // first; the polite side adds its tracks to the answer, and offers
    // itself only if no offer came.
    if (polite) {
      offerTimer = setTimeout(() => addLocal(p), 3000);
    } else {
      addLocal(p);
    }
    // Should the connection still not stand after a while, start ICE over
    // (the counselor first, so that the two do not collide).
    connectTimer = setTimeout(() => {
      if (p === pc && p.connectionState !== "connected" && p.iceConnectionState !== "connected" && p.iceConnectionState !== "completed") {
        p.restartIce();
      }
    }, polite ? 14000 : 8000);
    applyControls();
  }

  // addLocal adds the chat channel and the local tracks to p, once.
  function addLocal(p) {
    clearTimeout(offerTimer);
    if (p !== pc || localAdded) {
      return;
    }
    localAdded = true;
    // The chat channel is agreed on both sides (id 0), so neither has to
    // wait for the other to announce it.
    dc = p.createDataChannel("chat", { negotiated: true, id: 0 });
    setupChat(dc);
    if (media.stream) {
      for (const track of media.stream.getTracks()) {
        const sender = p.addTrack(track, media.stream);
        if (track.kind === "video") {
          videoSender = sender;
        }
      }
    }
  }

  function closeCall() {
    clearInterval(statsTimer);
    clearTimeout(leftTimer);
    resuming = false;
    peerRestartAt = 0;
    clearTimeout(disconnectTimer);
    clearTimeout(offerTimer);
    clearTimeout(connectTimer);
    statsTimer = 0;
    localAdded = false;
    if (dc) {
      dc.onopen = dc.onclose = dc.onmessage = null;
      dc = null;
    }
    if (pc) {
      const p = pc;
      pc = null;
      p.close();
    }
    videoSender = null;
    remoteStream = null;
    last = { lost: 0, received: 0 };
    weak = 0;
    el.remote.srcObject = null;
    el.code.textContent = "";
    setQuality("unknown");
    chatEnabled(false);
  }

  // onDescription and onCandidate are the "perfect negotiation" pattern:
  // on an offer collision the polite side (the client) gives way.
  async function onDescription(description) {
    let p = pc;
    if (!p || !description || description.type === "rollback") {
      return;
    }
    if (description.type === "offer" && p.remoteDescription && fingerprint(description.sdp) !== fingerprint(p.remoteDescription.sdp)) {
      // The other side started a new peer connection (it did not keep
      // the call through a reconnect): so do we.
      startCall();
      p = pc;
    }
    const collision = description.type === "offer" && (makingOffer || p.signalingState !== "stable");
    ignoreOffer = !polite && collision;
    if (ignoreOffer) {
      return;
    }
    await p.setRemoteDescription(description);
    if (description.type === "offer") {
      addLocal(p); // reuses the transceivers the offer created
      setVideoDirection(p);
      await p.setLocalDescription();
      if (p === pc) {
        send({ type: "description", description: p.localDescription });
      }
    }
  }

  async function onCandidate(candidate) {
    const p = pc;
    if (!p || !candidate) {
      return;
    }
    try {
      await p.addIceCandidate(candidate);
    } catch (err) {
      if (!ignoreOffer) {
        console.warn("room: candidate", err);
      }
    }
  }

  function connectionChanged() {
    const p = pc;
    if (!p) {
      return;
    }
    const state = p.connectionState || p.iceConnectionState;
    remoteVideoChanged();
    if (state === "connected" || state === "completed") {
      status("room.status.connected");
      showSecurityCode(p);
      applyQuality();
      if (!statsTimer) {
        statsStart = Date.now();
        statsTimer = setInterval(sampleStats, 2000);
      }
    } else if (state === "disconnected" || state === "failed") {
      status("room.status.interrupted");
    }
  }

  // remoteVideoChanged says so when the connection stands but no video
  // comes (camera off, audio only).
  function remoteVideoChanged() {
    const live = remoteStream && remoteStream.getVideoTracks().some((tr) => tr.readyState === "live" && !tr.muted);
    el.remoteOff.hidden = !!live || !pc || pc.connectionState !== "connected";
  }

  function playRemote() {
    const p = el.remote.play();
    if (p && p.catch) {
      p.then(() => { el.play.hidden = true; }, () => { el.play.hidden = false; });
    }
  }

  // ---- Controls ----

  function applyControls() {
    const a = audioTrack();
    if (a) {
      a.enabled = !media.muted;
    }
    pressed(el.mute, media.muted);
    el.mute.disabled = !a;
    pressed(el.cameraOff, media.cameraOff || media.audioOnly);
    el.cameraOff.disabled = media.audioOnly;
    pressed(el.audioOnly, media.audioOnly);
    pressed(el.lowQuality, media.lowQuality);
    refreshPreviews();
  }

  // setCamera stops the camera (its light goes off) or starts it again;
  // the video sender keeps its place, so no renegotiation is needed
  // unless the call started without video.
  async function setCamera(on) {
    const old = videoTrack();
    if (!on) {
      if (old) {
        media.stream.removeTrack(old);
        old.stop();
      }
      if (videoSender) {
        await videoSender.replaceTrack(null);
      }
      return true;
    }
    if (old) {
      return true;
    }
    let track;
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: videoConstraints() });
      track = s.getVideoTracks()[0];
    } catch (err) {
      showAlert(t(mediaError(err)));
      return false;
    }
    if (!media.stream) {
      media.stream = new MediaStream();
    }
    media.stream.addTrack(track);
    if (pc && localAdded) {
      if (videoSender) {
        await videoSender.replaceTrack(track);
      } else {
        videoSender = pc.addTrack(track, media.stream);
      }
      applyQuality();
    }
    return true;
  }

  // setVideoDirection tells the other side through the negotiation what
  // video flows: none in audio-only mode, none from us while our camera is
  // off. The other browser then mutes the track and shows why.
  function setVideoDirection(p) {
    for (const tr of p.getTransceivers()) {
      if (tr.receiver.track.kind !== "video" || tr.currentDirection === "stopped") {
        continue;
      }
      const send = !media.audioOnly && !!tr.sender.track;
      const recv = !media.audioOnly;
      const direction = send ? (recv ? "sendrecv" : "sendonly") : (recv ? "recvonly" : "inactive");
      if (tr.direction !== direction) {
        tr.direction = direction;
      }
    }
  }

  el.mute.addEventListener("click", () => {
    media.muted = !media.muted;
    applyControls();
  });
  el.cameraOff.addEventListener("click", async () => {
    const off = !media.cameraOff;
    if (await setCamera(!off)) {
      media.cameraOff = off;
    }
    if (pc && localAdded) {
      setVideoDirection(pc);
    }
    applyControls();
  });
  el.audioOnly.addEventListener("click", async () => {
    const on = !media.audioOnly;
    media.audioOnly = on;
    if (on) {
      await setCamera(false);
    } else if (!media.cameraOff) {
      await setCamera(true);
    }
    if (pc && localAdded) {
      // No video either way: on a weak line the other side's video costs as much.
      setVideoDirection(pc);
    }
    applyControls();
  });
  el.lowQuality.addEventListener("click", () => {
    media.lowQuality = !media.lowQuality;
    media.qualityByUser = true;
    applyControls();
    applyQuality();
  });
  el.hangup.addEventListener("click", () => {
    finish(t("room.status.left"), true);
  });
  if (el.end) {
    el.end.addEventListener("click", () => {
      if (window.confirm(t("room.end.confirm"))) {
        send({ type: "end" });
      }
    });
  }
  if (el.admit) {
    el.admit.addEventListener("click", () => {
      el.admit.disabled = true;
      cue(false);
      send({ type: "admit" });
    });
  }
  el.play.addEventListener("click", playRemote);
  el.rejoin.addEventListener("click", () => location.reload());

  // applyQuality caps the video sent: about 300 kbit/s at half the
  // resolution in "lower quality", else what the browser adapts to.
  let qualitySet = false; // lowered at least once: restoring needs a call too
  async function applyQuality() {
    const s = videoSender;
    if (!s || !s.getParameters || (!media.lowQuality && !qualitySet)) {
      return;
    }
    qualitySet = true;
    const params = s.getParameters();
    if (!params.encodings || params.encodings.length === 0) {
      if (!pc || pc.connectionState !== "connected") {
        return; // not negotiated yet; applied again once connected
      }
      params.encodings = [{}]; // older Firefox lists none but takes one
    }
    for (const enc of params.encodings) {
      if (media.lowQuality) {
        enc.maxBitrate = 300000;
        enc.scaleResolutionDownBy = 2;
      } else {
        delete enc.maxBitrate;
        enc.scaleResolutionDownBy = 1;
      }
    }
    try {
      await s.setParameters(params);
    } catch (err) {
      console.warn("room: quality", err);
    }
  }

  // ---- Connection quality ----

  let statsStart = 0;
  let last = { lost: 0, received: 0 };
  let weak = 0; // consecutive weak samples

  function setQuality(level) {
    el.quality.dataset.level = level;
    el.quality.textContent = t("room.quality." + level);
  }

  // sampleStats rates the connection from round-trip time and packet loss
  // and lowers the video quality by itself when the line stays weak.
  async function sampleStats() {
    const p = pc;
    if (!p) {
      return;
    }
    let report;
    try {
      report = await p.getStats();
    } catch (err) {
      return;
    }
    const stats = new Map();
    report.forEach((s) => stats.set(s.id, s));
    let pair = null;
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) {
        pair = stats.get(s.selectedCandidatePairId) || pair;
      }
    });
    if (!pair) {
      stats.forEach((s) => {
        if (s.type === "candidate-pair" && (s.selected || (s.nominated && s.state === "succeeded")) && !pair) {
          pair = s;
        }
      });
    }
    let rtt = pair && typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime : null;
    const bitrate = pair && typeof pair.availableOutgoingBitrate === "number" ? pair.availableOutgoingBitrate : null;
    let lost = 0;
    let received = 0;
    let remoteLoss = 0;
    stats.forEach((s) => {
      if (s.type === "inbound-rtp") {
        lost += Math.max(0, s.packetsLost || 0);
        received += s.packetsReceived || 0;
      } else if (s.type === "remote-inbound-rtp") {
        if (rtt === null && typeof s.roundTripTime === "number") {
          rtt = s.roundTripTime;
        }
        if (typeof s.fractionLost === "number") {
          remoteLoss = Math.max(remoteLoss, s.fractionLost);
        }
      }
    });
    const dLost = Math.max(0, lost - last.lost);
    const dReceived = Math.max(0, received - last.received);
    last = { lost: lost, received: received };
    const loss = Math.max(dLost + dReceived > 0 ? dLost / (dLost + dReceived) : 0, remoteLoss);
    if (p !== pc) {
      return;
    }
    if (rtt === null && dReceived === 0) {
      setQuality("unknown");
    } else if ((rtt === null || rtt < 0.3) && loss < 0.02) {
      setQuality("good");
    } else if ((rtt === null || rtt < 0.6) && loss < 0.08) {
      setQuality("fair");
    } else {
      setQuality("poor");
    }
    // Browsers start the bandwidth estimate low and raise it: wait a little.
    const warm = Date.now() - statsStart > 10000;
    const isWeak = loss > 0.1 || (bitrate !== null && bitrate < 250000);
    weak = warm && isWeak ? weak + 1 : 0;
    if (weak >= 3 && !media.lowQuality && !media.qualityByUser && videoSender) {
      media.lowQuality = true;
      applyControls();
      applyQuality();
      status("room.quality.lowered");
    }
  }

  // ---- Security code ----

  // fingerprint returns the sha-256 DTLS fingerprint of an SDP, e.g.
  // "AB:CD:…" (upper case), or "".
  function fingerprint(sdp) {
    const m = /^a=fingerprint:sha-256[ \t]+([0-9A-Fa-f:]+)\s*$/m.exec(sdp || "");
    return m ? m[1].toUpperCase() : "";
  }

  // securityCode derives the code both people compare: SHA-256 over the
  // two fingerprints, sorted and joined by a newline; the first 6 bytes as
  // a big-endian number, modulo 10^12, as three groups of four digits.
  async function securityCode(p) {
    const a = fingerprint(p.localDescription && p.localDescription.sdp);
    const b = fingerprint(p.remoteDescription && p.remoteDescription.sdp);
    if (!a || !b) {
      return "";
    }
    const sorted = [a, b].sort();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sorted[0] + "\n" + sorted[1])));
    let n = 0;
    for (let i = 0; i < 6; i++) {
      n = n * 256 + digest[i];
    }
    const s = String(n % 1e12).padStart(12, "0");
    return s.slice(0, 4) + " " + s.slice(4, 8) + " " + s.slice(8);
  }

  async function showSecurityCode(p) {
    const code = await securityCode(p);
    if (p === pc) {
      el.code.textContent = code;
    }
  }

  // ---- Chat (over the data channel; never through the server) ----

  function chatEnabled(on) {
    el.chatInput.disabled = !on;
    el.chatSend.disabled = !on;
  }

  function setupChat(ch) {
    ch.onopen = () => chatEnabled(true);
    ch.onclose = () => chatEnabled(false);
    ch.onmessage = (e) => {
      let m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (m && m.signal === "restart") {
        peerRestartAt = Date.now();
      } else if (m && m.signal === "bye") {
        peerBye = true;
      } else if (m && typeof m.text === "string" && m.text.trim()) {
        addChat(peerName, m.text.slice(0, 2000), false);
      }
    };
  }

  function addChat(from, text, mine) {
    const li = document.createElement("li");
    li.className = mine ? "mine" : "theirs";
    const who = document.createElement("span");
    who.className = "from";
    who.textContent = from + ":";
    li.append(who, document.createTextNode(text));
    el.chatLog.append(li);
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  el.chatForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = el.chatInput.value.trim().slice(0, 2000);
    if (!text) {
      return;
    }
    if (!dc || dc.readyState !== "open") {
      showAlert(t("room.chat.failed"));
      return;
    }
    dc.send(JSON.stringify({ text: text }));
    addChat(t("room.chat.you"), text, true);
    el.chatInput.value = "";
  });

  // ---- Start ----

  if (!supported) {
    showAlert(t("room.err.unsupported"));
    return;
  }

  // mediaReady settles when the camera check has its devices (or failed).
  let mediaReady = Promise.resolve();
  const restartMedia = () => {
    mediaReady = startMedia();
  };
  el.camera.addEventListener("change", restartMedia);
  el.microphone.addEventListener("change", restartMedia);
  el.audioOnlyChoice.addEventListener("change", () => {
    setAudioOnlyChoice(el.audioOnlyChoice.checked);
    restartMedia();
  });
  el.retry.addEventListener("click", restartMedia);
  navigator.mediaDevices.addEventListener("devicechange", () => {
    if (!el.setup.hidden) {
      listDevices();
    }
  });
  el.join.addEventListener("click", async () => {
    el.join.disabled = true;
    audio(); // created on a click, so that it may sound later, also in a background tab
    await mediaReady;
    if (media.stream) {
      showAlert("");
    }
    applyControls();
    lobby("room.status.connecting");
    connect();
  });
  // Leaving the page closes the connections at once, so the other side
  // learns it now rather than after a timeout.
  window.addEventListener("pagehide", () => {
    stopped = true;
    tellPeer({ signal: "bye" });
    if (ws) {
      ws.close(1000);
    }
    if (pc) {
      pc.close();
    }
  });

  // For tests and debugging: the current peer connection (for getStats).
  window.eyelevelRoom = Object.freeze({ pc: () => pc });

  show(el.setup);
  restartMedia();
})();
