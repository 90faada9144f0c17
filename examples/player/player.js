// Plays ?src=<playback URL>: .mpd with dash.js, anything else (.m3u8) with hls.js.
// What happened is kept in window.vodPlayer (the end-to-end test reads it) and shown on the page.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var src = params.get('src');
  // Private content: the query string of a custom-policy signature for the asset's folder
  // (Policy=..&Signature=..&Key-Pair-Id=..&Hash-Algorithm=SHA256), appended to every request the
  // player makes, manifests and segments alike.
  var sig = params.get('sig');
  function signed(url) {
    if (!sig) return url;
    return url + (url.indexOf('?') < 0 ? '?' : '&') + sig;
  }
  var video = document.getElementById('video');
  var state = (window.vodPlayer = {
    src: src,
    engine: null,
    levels: [],
    levelSwitches: [],
    errors: [],
    ready: false,
  });
  var status = document.getElementById('status');
  function snapshot() {
    return Object.assign({}, state, {
      currentTime: video.currentTime,
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
    });
  }
  window.vodSnapshot = snapshot;
  setInterval(function () {
    status.textContent = JSON.stringify(snapshot(), null, 1);
  }, 250);
  if (!src) {
    return;
  }
  document.querySelector('input[name=src]').value = src;
  video.addEventListener('error', function () {
    var e = video.error || {};
    state.errors.push({ source: 'video', code: e.code, message: e.message });
  });
  function play() {
    video.play().catch(function (e) {
      state.errors.push({ source: 'play', message: String(e) });
    });
  }

  if (/\.mpd$/i.test(new URL(src, location.href).pathname)) {
    var player = dashjs.MediaPlayer().create();
    if (sig) {
      player.addRequestInterceptor(function (request) {
        request.url = signed(request.url);
        return Promise.resolve(request);
      });
    }
    state.engine = 'dash.js ' + player.getVersion();
    var events = dashjs.MediaPlayer.events;
    player.on(events.ERROR, function (e) {
      var err = e.error || {};
      state.errors.push({ source: 'dash.js', code: err.code, message: err.message });
    });
    player.on(events.STREAM_INITIALIZED, function () {
      state.levels = player.getRepresentationsByType('video').map(function (r) {
        return { width: r.width, height: r.height, bitrate: r.bandwidth };
      });
      state.ready = true;
    });
    player.on(events.QUALITY_CHANGE_RENDERED, function (e) {
      if (e.mediaType === 'video' && e.newRepresentation) {
        state.levelSwitches.push(e.newRepresentation.absoluteIndex);
      }
    });
    player.initialize(video, src, true);
    window.vodSwitch = function (index) {
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
      player.setRepresentationForTypeByIndex('video', index, true);
    };
  } else {
    if (!Hls.isSupported()) {
      state.errors.push({ source: 'hls.js', message: 'Media Source Extensions are not supported' });
      return;
    }
    var hls = new Hls(
      sig
        ? {
            xhrSetup: function (xhr, url) {
              xhr.open('GET', signed(url), true);
            },
          }
        : {},
    );
    state.engine = 'hls.js ' + Hls.version;
    hls.on(Hls.Events.MANIFEST_PARSED, function () {
      state.levels = hls.levels.map(function (l) {
        return { width: l.width, height: l.height, bitrate: l.bitrate };
      });
      state.ready = true;
      play();
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, function (_, d) {
      state.levelSwitches.push(d.level);
    });
    hls.on(Hls.Events.ERROR, function (_, d) {
      state.errors.push({
        source: 'hls.js',
        type: d.type,
        details: d.details,
        fatal: d.fatal,
        status: d.response ? d.response.code : undefined,
      });
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    window.vodSwitch = function (index) {
      hls.currentLevel = index;
    };
  }
})();
