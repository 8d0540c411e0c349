#!/usr/bin/env bash
# Vendors GOV.UK Frontend's built assets into static/vendor/govuk-frontend/.
# Hwb is a Welsh Government service, not GOV.UK: the GDS Transport font and the crown are
# dropped, and the CSS falls back to a system font stack.
set -euo pipefail
version="${1:-6.6.0}"
top="$(cd "$(dirname "$0")/.." && pwd)"
dest="$top/static/vendor/govuk-frontend"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "govuk-frontend@$version" --silent >/dev/null && tar xzf ./*.tgz)
rm -rf "$dest" && mkdir -p "$dest/images"
fonts='system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif'
sed -e 's/@font-face{[^}]*}//g' \
    -e "s/font-family:GDS Transport,arial,sans-serif/font-family:$fonts/g" \
    -e "s/font-family:GDS Transport/font-family:$fonts/g" \
    -e 's#url(/assets/images/govuk-crest.svg)#none#g' \
    -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
    "$work/package/dist/govuk/govuk-frontend.min.css" > "$dest/govuk-frontend.min.css"
sed -e 's#//\# sourceMappingURL=.*##' \
    "$work/package/dist/govuk/govuk-frontend.min.js" > "$dest/govuk-frontend.min.js"
cp "$work/package/dist/govuk/assets/images/favicon.ico" "$dest/images/"
cat > "$dest/VERSION.md" <<NOTE
GOV.UK Frontend $version, from the npm package \`govuk-frontend\` (MIT licence,
Copyright (c) Crown Copyright (Government Digital Service)).
Built files from \`dist/govuk/\`, vendored by \`scripts/vendor-govuk-frontend.sh\`:
the GDS Transport @font-face rules and the crown image are removed, and a system font stack
replaces GDS Transport, because this is not a GOV.UK service.
NOTE
echo "GOV.UK Frontend $version vendored into $dest"
