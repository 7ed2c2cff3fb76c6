// The API explorer: GraphiQL (served by this server, nothing fetched from elsewhere), a sign-in
// bar, and a fetcher that keeps the session alive. A person's session lives in this tab's
// sessionStorage: the access token is renewed with the refresh token a minute before it expires,
// or when the server answers UNAUTHENTICATED, so nothing has to be pasted again.
(function () {
  'use strict';
  var KEY = 'springboard.explorer.session';
  var TOKENS = 'tokens { accessToken accessTokenExpiresAt refreshToken }';
  var SIGN_IN = 'mutation SignIn($input: SignInInput!) { signIn(input: $input) { ' + TOKENS +
    ' challenge { token step } userErrors { message } } }';
  var COMPLETE = 'mutation CompleteSignIn($input: CompleteSignInInput!) { completeSignIn(input: $input) { ' +
    TOKENS + ' userErrors { message } } }';
  var REFRESH = 'mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { ' + TOKENS +
    ' userErrors { message } } }';
  var SIGN_OUT = 'mutation SignOut($input: SignOutInput!) { signOut(input: $input) { signedOut } }';
  var WHO = '{ viewer { user { name } institution { name } role tokenScope } }';
  var EXAMPLE = [
    '# Welcome to the Springboard API explorer.',
    '#',
    '# Sign in above (or use an API token), then run this',
    '# query: Ctrl-Enter (Cmd-Enter on a Mac). It shows who',
    '# you act as and the first projects you may see, with',
    '# each measure\'s verdict. The book icon on the left',
    '# documents every type and field; Ctrl-Space completes.',
    '',
    'query WhoAmI {',
    '  viewer {',
    '    user { name email }',
    '    institution { name kind }',
    '    role',
    '  }',
    '  projects(first: 5) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        title',
    '        status',
    '        measures { name analysis { verdict { verdict } } }',
    '      }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch (e) { return null; }
  }
  function save(session) {
    if (session) { sessionStorage.setItem(KEY, JSON.stringify(session)); } else { sessionStorage.removeItem(KEY); }
  }
  function person(tokens) {
    return { kind: 'person', accessToken: tokens.accessToken, accessExpiresAt: tokens.accessTokenExpiresAt,
      refreshToken: tokens.refreshToken };
  }
  function post(body, token) {
    var headers = { 'Content-Type': 'application/json', 'Accept': 'application/json' };
    if (token) { headers.Authorization = 'Bearer ' + token; }
    return fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify(body) })
      .then(function (response) { return response.json(); });
  }
  function unauthenticated(body) {
    return (body.errors || []).some(function (e) { return e.extensions && e.extensions.code === 'UNAUTHENTICATED'; });
  }

  var renewing = null;
  // One renewal at a time: queries that arrive meanwhile wait for it rather than spending the
  // refresh token twice.
  function renew(session) {
    if (!renewing) {
      renewing = post({ query: REFRESH, variables: { input: { refreshToken: session.refreshToken } } })
        .then(function (body) {
          var payload = body.data && body.data.refreshToken;
          if (!payload || !payload.tokens) {
            save(null);
            show('Your session has ended: sign in again.');
            return null;
          }
          var next = person(payload.tokens);
          save(next);
          return next;
        })
        .finally(function () { renewing = null; });
    }
    return renewing;
  }
  function accessToken() {
    var session = load();
    if (!session) { return Promise.resolve(null); }
    if (session.kind === 'token') { return Promise.resolve(session.token); }
    if (Date.parse(session.accessExpiresAt) - Date.now() > 60000) { return Promise.resolve(session.accessToken); }
    return renew(session).then(function (next) { return next && next.accessToken; });
  }
  function fetcher(params) {
    return accessToken().then(function (token) {
      return post(params, token).then(function (body) {
        var session = load();
        if (!unauthenticated(body) || !session || session.kind !== 'person') { return body; }
        return renew(session).then(function (next) { return next ? post(params, next.accessToken) : body; });
      });
    });
  }

  var bar = {
    signIn: document.getElementById('sign-in'),
    secondFactor: document.getElementById('second-factor'),
    signedIn: document.getElementById('signed-in'),
    who: document.getElementById('who'),
    message: document.getElementById('message')
  };
  var challenge = null;
  function show(message) { bar.message.textContent = message || ''; }
  function render() {
    var session = load();
    bar.signIn.hidden = !!session || !!challenge;
    bar.secondFactor.hidden = !challenge;
    bar.signedIn.hidden = !session;
    if (!session) { return; }
    fetcher({ query: WHO }).then(function (body) {
      var viewer = body.data && body.data.viewer;
      if (!viewer) { bar.who.textContent = 'Signed in'; return; }
      var name = viewer.user ? viewer.user.name : 'API token (' + viewer.tokenScope + ')';
      var where = viewer.institution ? ' at ' + viewer.institution.name : '';
      bar.who.textContent = name + where + (viewer.role ? ', ' + viewer.role : '') +
        (session.kind === 'person' ? ' · your access renews itself' : '');
    });
  }
  function started(payload) {
    if (payload.tokens) {
      save(person(payload.tokens));
      challenge = null;
      show('');
    } else if (payload.challenge && payload.challenge.step === 'CODE') {
      challenge = payload.challenge.token;
      show('');
    } else if (payload.challenge) {
      show('Your institution requires two-factor sign-in and you have not set it up: do so in your ' +
        'front end (enrolTwoFactor), or use an API token here.');
    } else {
      show((payload.userErrors || []).map(function (e) { return e.message; }).join('; ') || 'Sign-in failed.');
    }
    render();
  }

  bar.signIn.addEventListener('submit', function (event) {
    event.preventDefault();
    var form = new FormData(bar.signIn);
    post({ query: SIGN_IN, variables: { input: { email: form.get('email'), password: form.get('password') } } })
      .then(function (body) { started((body.data && body.data.signIn) || { userErrors: body.errors }); });
  });
  document.getElementById('use-token').addEventListener('click', function () {
    var token = new FormData(bar.signIn).get('token');
    if (!token) { show('Paste an API token first.'); return; }
    save({ kind: 'token', token: String(token).trim() });
    show('');
    render();
  });
  bar.secondFactor.addEventListener('submit', function (event) {
    event.preventDefault();
    var code = new FormData(bar.secondFactor).get('code');
    post({ query: COMPLETE, variables: { input: { challenge: challenge, code: code } } })
      .then(function (body) { started((body.data && body.data.completeSignIn) || { userErrors: body.errors }); });
  });
  document.getElementById('cancel-code').addEventListener('click', function () { challenge = null; render(); });
  document.getElementById('sign-out').addEventListener('click', function () {
    var session = load();
    save(null);
    if (session && session.kind === 'person') {
      post({ query: SIGN_OUT, variables: { input: { refreshToken: session.refreshToken } } }, session.accessToken);
    }
    render();
  });

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: EXAMPLE, shouldPersistHeaders: false })
  );
  render();
}());
