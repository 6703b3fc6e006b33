// The official Alibaba Cloud SDK's side of bench/sdk-compare.sh: the
// same BatchEventRebootInstance calls that "ensbatch apply" makes, sent
// through @alicloud/openapi-client (the client every generated product
// SDK, @alicloud/ens20171110 included, calls into: callApi with the
// action's parameters, V3 signature), with CONCURRENCY calls in flight.
//
//   node bench/sdk-compare.js ENDPOINT CALLS.json CONCURRENCY
//
// CALLS.json is an array of calls, each an array of
// {EventId, ResourceId, PlanTime}.  Credentials come from
// ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET.
// Prints one line: "calls N ms M failed F" (M: from the first call to
// the last answer, without node's start-up).  Exit 0, or 1 when a call
// failed.
'use strict';

const fs = require('fs');
const OpenApi = require('@alicloud/openapi-client');
const Util = require('@alicloud/tea-util');

async function main() {
	const [endpoint, callsPath, concurrencyArg] = process.argv.slice(2);
	const calls = JSON.parse(fs.readFileSync(callsPath, 'utf8'));
	const concurrency = Number(concurrencyArg);
	const url = new URL(endpoint);
	const client = new OpenApi.default(new OpenApi.Config({
		accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
		accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
		endpoint: url.host,
		protocol: url.protocol === 'https:' ? 'HTTPS' : 'HTTP',
	}));
	// What the generated ens20171110 client passes for this action.
	const params = new OpenApi.Params({
		action: 'BatchEventRebootInstance',
		version: '2017-11-10',
		protocol: 'HTTPS',
		pathname: '/',
		method: 'POST',
		authType: 'AK',
		style: 'RPC',
		reqBodyType: 'formData',
		bodyType: 'json',
	});
	const runtime = new Util.RuntimeOptions({ autoretry: false });
	let next = 0;
	let failed = 0;

	async function worker() {
		while (next < calls.length) {
			const items = calls[next++].map((t) => ({
				EventId: t.EventId,
				OpsType: 'scheduled',
				PlanTime: t.PlanTime,
				ResourceId: t.ResourceId,
			}));
			const request = new OpenApi.OpenApiRequest({
				query: { EventInfos: JSON.stringify(items) },
			});
			try {
				const r = await client.callApi(params, request,
				    runtime);
				const results = r.body.Results || [];
				if (results.length !== items.length ||
				    results.some((x) => x.Code !== 200)) {
					failed++;
					if (failed === 1)
						console.error('sdk-compare.js: ' +
						    JSON.stringify(r.body));
				}
			} catch (e) {
				failed++;
				if (failed === 1 || process.env.SDK_DEBUG)
					console.error('sdk-compare.js: ' + e.message);
			}
		}
	}

	const t0 = process.hrtime.bigint();
	const workers = [];
	for (let i = 0; i < concurrency; i++)
		workers.push(worker());
	await Promise.all(workers);
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	console.log(`calls ${calls.length} ms ${ms.toFixed(1)} failed ${failed}`);
	process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => {
	console.error('sdk-compare.js: ' + e.message);
	process.exit(1);
});
