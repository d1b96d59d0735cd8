// The Inspector's shell: the top menu, one page module at a time (chosen by the
// URL's hash), the live feed and signing out. Each page module exports
// `mount(container)` and returns a function that unmounts it.
import { credentials, signInAgain } from '/inspector/assets/rest.js';
import { connect } from '/inspector/assets/live.js';
import { notify } from '/inspector/assets/dom.js';

const PAGES = ['sessions', 'cluster', 'recordings', 'history', 'config', 'test'];
let unmount = null;

async function show() {
  const name = PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'sessions';
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('active', link.dataset.page === name);
  }
  if (unmount) unmount();
  unmount = null;
  const container = document.getElementById('page');
  container.replaceChildren();
  container.dataset.page = name;
  try {
    const page = await import(`/inspector/assets/${name}.js`);
    unmount = await page.mount(container);
  } catch (error) {
    notify(`The ${name} page failed: ${error.message}`, 'error');
  }
}

if (!credentials()) {
  signInAgain();
} else {
  document.getElementById('sign-out').addEventListener('click', async () => {
    await fetch('/inspector/sign-out', { method: 'POST' });
    signInAgain();
  });
  window.addEventListener('hashchange', show);
  connect();
  show();
}
