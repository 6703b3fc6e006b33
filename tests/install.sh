#!/bin/sh
# "make install" and "make uninstall" as the README gives them, into a
# scratch DESTDIR with another prefix:
#
#  - both programs, the three man pages, the bash completion (for
#    ensbatch and ensbatch-sim) and the zsh one land under DESTDIR/PREFIX;
#  - the installed ensbatch runs, the completion is the source's file;
#  - "make uninstall" with the same DESTDIR and prefix leaves no file.
#
# Environment (set by make check): srcdir, ENSBATCH (its directory is
# the build directory).
set -u
. "${srcdir:-.}/tests/lib.sh"

builddir=${ENSBATCH%/*}
prefix=/opt/ensbatch-test
dest=$tmp/dest
root=$dest$prefix
if [ ! -f "$builddir/Makefile" ]; then
	echo "install.sh: no Makefile in $builddir" >&2
	exit 99
fi

# run_make TARGET: make TARGET with the scratch DESTDIR and prefix.
run_make() {
	if make -s -C "$builddir" "$1" DESTDIR="$dest" prefix="$prefix" \
	    >"$tmp/$1.log" 2>&1; then
		ok "make $1 DESTDIR=... prefix=$prefix"
	else
		not_ok "make $1 failed"
		cat "$tmp/$1.log"
	fi
}

run_make install

for f in bin/ensbatch bin/ensbatch-sim \
    share/man/man1/ensbatch.1 share/man/man1/ensbatch-sim.1 \
    share/man/man5/ensbatch-manifest.5 \
    share/bash-completion/completions/ensbatch \
    share/bash-completion/completions/ensbatch-sim \
    share/zsh/vendor-completions/_ensbatch; do
	if [ -f "$root/$f" ] && [ -s "$root/$f" ]; then
		ok "installs $f"
	else
		not_ok "no $prefix/$f"
	fi
done

for p in ensbatch ensbatch-sim; do
	if [ -x "$root/bin/$p" ]; then
		ok "$p is executable"
	else
		not_ok "$prefix/bin/$p is not executable"
	fi
done

if "$root/bin/ensbatch" version 2>&1 | grep -q '^ensbatch [0-9]'; then
	ok "the installed ensbatch runs"
else
	not_ok "the installed ensbatch does not run"
fi

if cmp -s "$srcdir/completion/ensbatch.bash" \
    "$root/share/bash-completion/completions/ensbatch"; then
	ok "the installed completion is completion/ensbatch.bash"
else
	not_ok "the installed completion differs from the source"
fi

run_make uninstall
left=$(find "$dest" ! -type d | sed "s|^$dest||")
if [ -z "$left" ]; then
	ok "uninstall leaves no files"
else
	not_ok "uninstall left: $left"
fi

finish
