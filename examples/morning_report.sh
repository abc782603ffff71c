#!/usr/bin/env bash
# The morning report from cron: the workbook for the shared drive ([report] output in crm.toml), and the same
# report as one web page, mailed as the body of the mail (it is self-contained: no image, script or font to fetch).
#
#   30 7 * * 1-6  /srv/sales/morning_report.sh /srv/sales/crm.toml boss@example.com
#
# Needs `crm` and a `mail` that takes headers with -a (bsd-mailx, s-nail). Exits with crm's code when the report
# fails (2 bad option or config, 3 unreadable input, 4 unwritable output), so cron mails the one-line error instead.
set -euo pipefail
config=${1:?usage: morning_report.sh CRM.TOML ADDRESS}
to=${2:?usage: morning_report.sh CRM.TOML ADDRESS}
page=${CRM_PAGE:-$(dirname "$config")/reports/latest.html}

crm report --config "$config" -q                     # the workbook, where crm.toml says
crm report --config "$config" -q -o "$page"          # the web page (.html: --format html)
mail -a "Content-Type: text/html; charset=utf-8" -s "销售日报 / Sales report" "$to" < "$page"
