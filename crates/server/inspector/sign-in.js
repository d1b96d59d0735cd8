// The sign-in page: the Inspector checks OPENVIDUAPP and the secret and sets its
// HttpOnly session cookie; the tab keeps the Basic credentials in sessionStorage
// for the REST calls the pages make (same origin).
// rest.js's key, spelled here too: this script may load nothing but itself before signing in.
const CREDENTIALS_KEY = 'plenum.inspector.basic';

const form = document.getElementById('sign-in');
const error = document.getElementById('error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const basic = 'Basic ' + btoa(`${form.user.value}:${form.password.value}`);
  try {
    const response = await fetch('/inspector/sign-in', { method: 'POST', headers: { Authorization: basic } });
    if (response.status === 204) {
      sessionStorage.setItem(CREDENTIALS_KEY, basic);
      location.href = '/inspector/';
      return;
    }
    const body = await response.json().catch(() => ({}));
    error.textContent = body.message ?? `Refused (${response.status})`;
  } catch (e) {
    error.textContent = `Cannot reach the server: ${e.message}`;
  }
});
