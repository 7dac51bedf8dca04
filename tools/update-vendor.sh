#!/usr/bin/env bash
# Fetch the front-end files Flasky serves from the npm registry and copy
# only the ones the pages use into app/static/vendor/, with their licences.
#
#     tools/update-vendor.sh        (needs npm, tar and network access)
#
# Change a version below, run the script, run the tests, commit the result.
set -euo pipefail

BOOTSTRAP_VERSION=3.4.1
JQUERY_VERSION=3.8.0
# Bootstrap plugins the templates use, in dependency order. Leave out the
# carousel (CVE-2024-6484) and button (CVE-2024-6485) plugins, and any
# other plugin the templates do not need.
BOOTSTRAP_PLUGINS="transition alert collapse dropdown"

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/app/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "bootstrap@$BOOTSTRAP_VERSION" "jquery@$JQUERY_VERSION" \
    >/dev/null
mkdir bootstrap jquery
tar -xzf "bootstrap-$BOOTSTRAP_VERSION.tgz" -C bootstrap --strip-components=1
tar -xzf "jquery-$JQUERY_VERSION.tgz" -C jquery --strip-components=1

rm -rf "$vendor/bootstrap" "$vendor/jquery"
mkdir -p "$vendor/bootstrap/css" "$vendor/bootstrap/fonts" \
    "$vendor/bootstrap/js" "$vendor/jquery"

# Bootstrap: the compiled CSS and its icon fonts as released.
cp bootstrap/dist/css/bootstrap.min.css "$vendor/bootstrap/css/"
cp bootstrap/dist/fonts/glyphicons-halflings-regular.* \
    "$vendor/bootstrap/fonts/"
cp bootstrap/LICENSE "$vendor/bootstrap/LICENSE"

# Bootstrap's JavaScript: the release's banner and jQuery version check
# (everything in dist/js/bootstrap.js before its first plugin), then the
# chosen plugins' sources from js/. Not minified, hence bootstrap.js.
js="$vendor/bootstrap/js/bootstrap.js"
awk '/^\/\* =+$/ { exit } { print }' bootstrap/dist/js/bootstrap.js > "$js"
printf '/* Built by tools/update-vendor.sh from the npm package %s:\n' \
    "bootstrap@$BOOTSTRAP_VERSION" >> "$js"
printf ' * only the plugins %s. */\n\n' "$BOOTSTRAP_PLUGINS" >> "$js"
for plugin in $BOOTSTRAP_PLUGINS; do
    cat "bootstrap/js/$plugin.js" >> "$js"
    printf '\n' >> "$js"
done

# jQuery: the minified release.
cp jquery/dist/jquery.min.js "$vendor/jquery/"
cp jquery/LICENSE.txt "$vendor/jquery/LICENSE.txt"

echo "Bootstrap $BOOTSTRAP_VERSION ($BOOTSTRAP_PLUGINS) and" \
    "jQuery $JQUERY_VERSION copied to ${vendor#"$root"/}"
