#!/usr/bin/env bash
# Re-creates the API explorer's third-party files from their pinned npm packages: each tarball is
# checked against the integrity npm published for it, and the file the explorer serves is taken
# from it and gzipped reproducibly (the server sends it as it is, `Content-Encoding: gzip`).
# Run from anywhere; needs curl, tar, gzip, sha512sum and base64. The binary embeds the results at
# build time, so nothing is fetched when the server runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
registry=${NPM_REGISTRY:-https://registry.npmjs.org}

# package version integrity file-in-package served-as
while read -r package version integrity inside served; do
    [[ -z "$package" || "$package" == \#* ]] && continue
    tarball="$work/$package-$version.tgz"
    curl -fsSL "$registry/$package/-/$package-$version.tgz" -o "$tarball"
    actual="sha512-$(sha512sum "$tarball" | cut -d' ' -f1 | xxd -r -p | base64 -w0)"
    if [[ "$actual" != "$integrity" ]]; then
        echo "$package@$version: integrity $actual, expected $integrity" >&2
        exit 1
    fi
    tar -xzf "$tarball" -C "$work" "package/$inside"
    gzip -9 -n -c "$work/package/$inside" > "$here/$served.gz"
    rm -rf "$work/package"
    echo "$served.gz from $package@$version ($inside)"
done < "$here/PACKAGES"
