#!/bin/sh
# The Markdown plan is ticket-sized, and plan --targets-csv writes the
# target lists it summarises:
#
#  - for three fleet shapes (canary then one immediate group in batches
#    of 20; one scheduled group in batches of 1 with a check; 20-target
#    groups with 64-character names) at 2,000, 20,000 and 100,000
#    targets, the Markdown plan stays under 32 KiB (Jira's field limit)
#    and does not grow with the targets (a few bytes for longer
#    numbers); it still names the first and last target of each group
#    shown, the first and last batches and a row for those between;
#  - --targets-csv: a header and one line per target (group, batch,
#    event, instance, PlanTime UTC), written atomically; it may not
#    replace the manifest, its targets file or another output (exit 2,
#    nothing written).
#
# Environment (set by make check): srcdir, ENSBATCH.
set -u
. "${srcdir:-.}/tests/lib.sh"

NOW=2026-11-27T00:00:00Z
LIMIT=32768

# manifest SHAPE N: write $tmp/SHAPE/m.yaml (and its CSV) for N targets.
manifest() {
	d=$tmp/$1
	mkdir -p "$d"
	case $1 in
	fleet)
		awk -v n="$2" 'BEGIN { print "event,resource"
		    for (i = 1; i < n; i++)
			printf "e-%032x,i-fleet%08d\n", i, i }' >"$d/fleet.csv"
		cat >"$d/m.yaml" <<END
ensbatch: 1
name: md-fleet
ticket: CHG-1
timezone: Asia/Shanghai
policies:
  canary: {ops: immediate, batch_size: 1, soak: 10m}
  fleet: {ops: immediate, batch_size: 20, pause: 1m, max_failures: 10%}
groups:
  - name: canary
    policy: canary
    targets:
      - {event: e-ffffffffffffffffffffffffffffffff, resource: i-canary0001}
  - name: fleet
    policy: fleet
    after: [canary]
    targets_file: fleet.csv
END
		;;
	night)
		awk -v n="$2" 'BEGIN { print "event,resource"
		    for (i = 1; i <= n; i++)
			printf "e-%032x,i-night%08d\n", i, i }' >"$d/night.csv"
		cat >"$d/m.yaml" <<END
ensbatch: 1
name: md-night
timezone: Europe/Berlin
policies:
  night: {ops: scheduled, batch_size: 1, start: "2099-01-01 01:00",
          stagger: 1m, max_failures: 5, check: {command: "probe | tee"}}
groups:
  - name: night
    policy: night
    targets_file: night.csv
END
		;;
	groups)
		awk -v g="$(($2 / 20))" 'BEGIN {
		    print "ensbatch: 1\nname: md-groups\npolicies:"
		    print "  p: {ops: scheduled, batch_size: 5, " \
			"start: \"2099-01-01T00:00:00Z\", stagger: 1m}"
		    print "groups:"
		    for (k = 0; k < g; k++) {
			printf "  - name: group-with-a-long-name-to-fill-the-" \
			    "64-characters-allowed-xy-%04d\n", k
			print "    policy: p\n    targets:"
			for (i = 1; i <= 20; i++)
				printf "      - {event: e-%032x, " \
				    "resource: i-group%08d}\n", k * 20 + i,
				    k * 20 + i
		    }
		}' >"$d/m.yaml"
		;;
	esac
}

for shape in fleet night groups; do
	sizes=
	for n in 2000 20000 100000; do
		manifest $shape $n
		"$ENSBATCH" plan --now $NOW --format markdown "$tmp/$shape/m.yaml" \
		    >"$tmp/$shape-$n.md" 2>"$tmp/err"
		check "$shape, $n targets: plan exit 0" "$?" 0
		size=$(wc -c <"$tmp/$shape-$n.md" | tr -d ' ')
		sizes="$sizes $size"
		if [ "$size" -lt $LIMIT ]; then
			ok "$shape, $n targets: Markdown $size bytes < 32 KiB"
		else
			not_ok "$shape, $n targets: Markdown $size bytes"
		fi
	done
	# shellcheck disable=SC2086
	set -- $sizes
	if [ $(($3 - $1)) -le 200 ]; then
		ok "$shape: 100,000 targets take at most 200 bytes more than 2,000 ($1, $3)"
	else
		not_ok "$shape: grows with the targets ($sizes)"
	fi
done
echo "# Markdown sizes: see the lines above"

md=$tmp/fleet-2000.md
contains_text "fleet: the canary's one target, singular" "$md" \
    "- Targets: 1 in 1 batch, first \`i-canary0001\`"
contains_text "fleet: first and last target of the big group" "$md" \
    "first \`i-fleet00000001\` (\`e-00000000000000000000000000000001\`), last \`i-fleet00001999\`"
contains_text "fleet: the first batch" "$md" "| 1 | 20 | settle, pause 1m |"
contains_text "fleet: the batches between, summarised" "$md" \
    "| 11-90 | 1600 | ... 80 more batches, as above ... |"
contains_text "fleet: the last batch" "$md" "| 100 | 19 | settle |"
contains_text "fleet: the soak in the stop conditions" "$md" \
    "| canary | - | immediate | 1 | 0 | 30m | - | 10m |"
contains_text "fleet: the budget in the stop conditions" "$md" \
    "| fleet | canary | immediate | 1999 | 10% (199) | 30m | - | - |"
contains_text "fleet: the estimated end" "$md" "- Estimated end: every reboot settled by"
contains_text "fleet: where the target lists would be" "$md" \
    "\`--targets-csv FILE\` writes every target"
md=$tmp/night-100000.md
contains_text "night: the reboot window" "$md" \
    "- Reboot window: PlanTimes from 2099-01-01 01:00:00 +01:00 (2099-01-01T00:00:00Z) to 2099-03-11 11:39:00 +01:00 (2099-03-11T10:39:00Z)"
contains_text "night: the scheduled batches between, from and to" "$md" \
    "| 11-99990 | 99980 | 2099-01-01 01:10:00 +01:00 to 2099-03-11 11:29:00 +01:00 | 2099-01-01T00:10:00Z to 2099-03-11T10:29:00Z |"
contains_text "night: the check in the stop conditions" "$md" \
    "| night | - | scheduled | 100000 | 5 | 30m | 5m, every 15s | - |"
contains_text "night: the check command as code" "$md" "- Check: \`probe | tee\`"
md=$tmp/groups-2000.md
contains_text "groups: the groups not shown, summarised" "$md" \
    "### 84 more groups"
contains_text "groups: the stop conditions summarise them too" "$md" \
    "| ... 84 more groups ... |"
md=$tmp/groups-100000.md
if [ "$(grep -c '^### Group ' "$md")" -le 40 ]; then
	ok "groups: at most 40 group sections for 5,000 groups"
else
	not_ok "groups: $(grep -c '^### Group ' "$md") group sections"
fi

# ------------------------------------------------ --targets-csv
d=$tmp/fleet
manifest fleet 2000
"$ENSBATCH" plan -q --now $NOW --targets-csv "$d/t.csv" --out "$d/p.json" \
    "$d/m.yaml"
check "--targets-csv: exit 0" "$?" 0
check "--targets-csv: the header" "$(head -n 1 "$d/t.csv")" \
    "group,batch,event,instance,plan_time_utc"
check "--targets-csv: one line per target" "$(($(wc -l <"$d/t.csv")))" 2001
check "--targets-csv: the canary, immediate (no PlanTime)" \
    "$(sed -n 2p "$d/t.csv")" \
    "canary,1,e-ffffffffffffffffffffffffffffffff,i-canary0001,"
check "--targets-csv: the last target in its batch" "$(tail -n 1 "$d/t.csv")" \
    "fleet,100,e-000000000000000000000000000007cf,i-fleet00001999,"
check "--targets-csv: nothing but the outputs beside it" \
    "$(ls "$d" | tr '\n' ' ')" "fleet.csv m.yaml p.json t.csv "
"$ENSBATCH" plan -q --now $NOW --targets-csv "$tmp/night/t.csv" \
    "$tmp/night/m.yaml"
check "--targets-csv: a scheduled batch's PlanTime in UTC" \
    "$(sed -n 3p "$tmp/night/t.csv")" \
    "night,2,e-00000000000000000000000000000002,i-night00000002,2099-01-01T00:01:00Z"
"$ENSBATCH" plan --now $NOW --format markdown --targets-csv "$d/t.csv" \
    --out "$d/p.json" "$d/m.yaml" >"$tmp/out.md" 2>"$tmp/err"
contains_text "the Markdown plan points at the CSV and the plan file" \
    "$tmp/out.md" \
    "- Target lists: every target with its batch is in \`$d/p.json\` (the plan file apply --plan runs) and \`$d/t.csv\` (CSV"

cp "$d/m.yaml" "$tmp/m.copy"
cp "$d/fleet.csv" "$tmp/fleet.copy"
for what in "--targets-csv $d/m.yaml:is the manifest" \
    "--out $d/m.yaml:is the manifest" \
    "--report $d/m.yaml:is the manifest" \
    "--targets-csv $d/fleet.csv:is the targets file" \
    "--targets-csv $d/x.csv --out $d/x.csv:name the same file"; do
	args=${what%%:*}
	want=${what#*:}
	# shellcheck disable=SC2086
	"$ENSBATCH" plan -q --now $NOW $args "$d/m.yaml" 2>"$tmp/err"
	check "plan $args: exit 2" "$?" 2
	contains_text "plan $args: $want" "$tmp/err" "$want"
done
if cmp -s "$d/m.yaml" "$tmp/m.copy" && cmp -s "$d/fleet.csv" "$tmp/fleet.copy" &&
    [ ! -e "$d/x.csv" ]; then
	ok "refused outputs: the manifest and its targets file are intact"
else
	not_ok "refused outputs: something was written"
fi
# Through another name (a symbolic link) too.
ln -s m.yaml "$d/link.yaml"
"$ENSBATCH" plan -q --now $NOW --targets-csv "$d/m.yaml" "$d/link.yaml" \
    2>"$tmp/err"
check "the manifest by another name: exit 2" "$?" 2
finish
