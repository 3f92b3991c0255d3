// The admin page: buttons with data-confirm ask before their form posts.
// Without this script the forms still work, without the question.
document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-confirm]');
  if (b && !window.confirm(b.dataset.confirm)) e.preventDefault();
});
