#!/bin/sh
# update.sh vendors the browser builds of the chat page's Markdown libraries
# from the npm registry, exactly at the versions pinned below:
#
#   sh web/static/vendor/update.sh
#
# For each package it runs `npm pack NAME@VERSION` (npm checks the tarball
# against the registry's dist.integrity), checks the tarball again against
# the sha512 integrity pinned here (so a changed registry answer is caught
# too), and copies the listed files, byte for byte, into this folder. Then it
# rewrites SHA256SUMS, which web/vendor_test.go checks the embedded files
# against: a hand edit of a vendored file fails the tests.
#
# To move to a new version: change VERSION and INTEGRITY below (the
# integrity is what `npm view NAME@VERSION dist.integrity` prints), run this
# script, read the diff and the libraries' changelogs, run the web and e2e
# tests, and say in docs/api.md (Markdown) which version and why.
# Needs: npm (Debian: apt-get install npm), tar, sha256sum.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# vendor NAME VERSION INTEGRITY FILE=AS...: FILE is a path inside the package.
vendor() {
	name=$1 version=$2 integrity=$3
	shift 3
	echo "vendor: $name@$version"
	tgz=$(cd "$work" && npm pack --silent "$name@$version")
	got="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$work/$tgz")"
	if [ "$got" != "$integrity" ]; then
		echo "update.sh: $name@$version has integrity $got, pinned $integrity" >&2
		exit 1
	fi
	dir="$work/${tgz%.tgz}"
	mkdir "$dir"
	tar -xzf "$work/$tgz" -C "$dir"
	for pair in "$@"; do
		cp "$dir/package/${pair%%=*}" "$here/${pair#*=}"
	done
}

vendor markdown-it 15.0.3 \
	sha512-+Az7Ojz3iRGu8KYMvJ6xVhvrxP3eE+vEtJX75Ow88XBpcQNV/0lGX5ZynIIBftREo4DC2jsveAMDaeltmm8QvQ== \
	dist/browser/markdown-it.umd.min.js=markdown-it.min.js LICENSE=markdown-it.LICENSE
vendor dompurify 3.5.0 \
	sha512-LYC0ZkE8P1V42JsRYTwMdme/2ET8SpOc5AA2eOFjP/IadvRd2fwiT4TVz5vkfy0XUx12aS2UaRkTnfVPNOv9vw== \
	dist/purify.min.js=purify.min.js LICENSE=dompurify.LICENSE LICENSE-MPL=dompurify.LICENSE-MPL
vendor @highlightjs/cdn-assets 11.12.0 \
	sha512-KvOKXODaiFmId9xaq3xc5xCL66wVLUuOngDbO9B/kewbFTqdGbn2nJxNhN3H5R1cgDTVj6R8vH0zgiNDEGjpDw== \
	highlight.min.js=highlight.min.js LICENSE=highlight.js.LICENSE

cd "$here"
sha256sum -- *.js *.LICENSE *.LICENSE-MPL >SHA256SUMS
echo "vendor: wrote $here/SHA256SUMS"
