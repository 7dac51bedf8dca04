// Flask-Moment's dates in the page's language (<html lang>), which
// moment.js names in lower case: "zh-tw".
moment.locale(document.documentElement.lang.toLowerCase());
