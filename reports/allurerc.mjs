// Allure 3 configuration for stackprobe's HTML report (used by `tox -e report`).
//
// One self-contained file (singleFile) that opens from file://, grouped the way on-call
// reads the stack: layer -> component -> probe. History is kept in reports/history/ so
// trends show across runs; CI keeps that file in a cache. Failure categories come from
// reports/categories.json, the same file the plugin copies into every results directory.
//
// Results of several jobs (environments, regions) merge by passing every results
// directory: `npx --prefix reports allure generate --config reports/allurerc.mjs dir1 dir2`.
// Each probe result carries the label `stackprobe_env` = "<environment>-<region>"; when the
// directories hold more than one, each becomes an Allure environment of the report.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const ENV_LABEL = "stackprobe_env";

const categories = JSON.parse(readFileSync(join(here, "categories.json"), "utf8")).map(
  ({ description, ...rule }) => rule, // Allure 3 rules take no description
);

function environmentsIn(args) {
  const found = new Set();
  for (const arg of args) {
    if (!existsSync(arg) || !statSync(arg).isDirectory()) continue;
    for (const name of readdirSync(arg)) {
      if (!name.endsWith("-result.json")) continue;
      try {
        const result = JSON.parse(readFileSync(join(arg, name), "utf8"));
        for (const label of result.labels ?? []) {
          if (label.name === ENV_LABEL && label.value) found.add(label.value);
        }
      } catch {
        // a half-written result of an interrupted run: Allure reports it, we only skip it here
      }
    }
  }
  return [...found].sort();
}

const envNames = environmentsIn(process.argv.slice(2));
const environments =
  envNames.length > 1
    ? Object.fromEntries(
        envNames.map((env) => [
          env,
          { matcher: ({ labels }) => labels.some((l) => l.name === ENV_LABEL && l.value === env) },
        ]),
      )
    : undefined;

export default {
  name: "stackprobe",
  output: process.env.STACKPROBE_REPORT_DIR ?? join(here, "allure-report"),
  historyPath: process.env.STACKPROBE_HISTORY ?? join(here, "history", "history.jsonl"),
  historyLimit: 30,
  categories,
  ...(environments ? { environments } : {}),
  plugins: {
    awesome: {
      options: {
        reportName: "stackprobe",
        singleFile: true,
        groupBy: ["parentSuite", "suite", "subSuite"],
        layout: "split", // tree beside the selected result: the failure and its fix in one view
      },
    },
  },
};
