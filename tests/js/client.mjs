// SPDX-License-Identifier: MIT
//
// Load wp's output into the real clients, in headless Chromium, and print
// what they show as JSON on stdout (the shell tests assert on it).
//
//   node client.mjs speedscope PROFILE.json [SCREENSHOT.png]
//       speedscope's release build (npm package), served with the profile
//       from 127.0.0.1, imports it through #profileURL=; prints the
//       title bar, the profiles list (name, total), the Sandwich table of
//       the active profile (total, self, name), the stack shown for the
//       deepest frame of its heaviest stack in Left Heavy ("name (file:line)"
//       per frame, innermost first: the frames' file and line as imported)
//       and any import error.
//   node client.mjs svg GRAPH.svg SCREENSHOT.png [SEARCH [CLICK]]
//       opens the SVG from file://, screenshots it, then drives its script:
//       search(SEARCH) (the matched share it shows), a click on the frame
//       named CLICK (its width afterwards: zoomed to the full width?) and
//       Reset Zoom; also counts the <script> elements (hostile names must
//       not have added any) and reports page errors.
//   node client.mjs chrome TRACE.json
//       parses the trace with Chrome DevTools' trace engine (the Performance
//       panel's model, npm @paulirish/trace_engine) and prints its threads:
//       pid, tid, name and their slices as "name@ts+dur" (microseconds).
//
// Chromium: Debian's (/usr/lib/chromium/chromium, else /usr/bin/chromium;
// WP_CHROMIUM overrides), a fresh profile directory, no network but
// 127.0.0.1. WP_CLIENT_DEBUG=1 prints the steps' times on stderr.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const t0 = Date.now();
const step = (what) => process.env.WP_CLIENT_DEBUG && console.error(`${Date.now() - t0} ms: ${what}`);

// Debian's chromium: its real binary (the /usr/bin/chromium wrapper script
// spends seconds probing the system before it starts it).
function chromium_path() {
	if (process.env.WP_CHROMIUM)
		return process.env.WP_CHROMIUM;
	for (const p of ['/usr/lib/chromium/chromium', '/usr/bin/chromium'])
		if (fs.existsSync(p))
			return p;
	return 'chromium';
}

async function launch() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wp-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: chromium_path(),
		headless: true,
		viewport: { width: 1200, height: 800 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
	return { ctx, dir };
}

// Pixels of a PNG, counted in the browser: how many differ from the
// background (the top-left pixel) and how many distinct colours there are.
async function png_stats(ctx, file) {
	const page = await ctx.newPage();
	const b64 = fs.readFileSync(file).toString('base64');
	await page.setContent('<canvas id="c"></canvas>');
	const res = await page.evaluate(async (data) => {
		const img = new Image();
		img.src = 'data:image/png;base64,' + data;
		await img.decode();
		const c = document.getElementById('c');
		c.width = img.width;
		c.height = img.height;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const px = g.getImageData(0, 0, img.width, img.height).data;
		const colours = new Set();
		let differ = 0;
		for (let i = 0; i < px.length; i += 4) {
			const v = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
			colours.add(v);
			if (px[i] !== px[0] || px[i + 1] !== px[1] || px[i + 2] !== px[2])
				differ++;
		}
		return { width: img.width, height: img.height, colours: colours.size, differ };
	}, b64);
	await page.close();
	return res;
}

async function close({ ctx, dir }) {
	await ctx.close();
	fs.rmSync(dir, { recursive: true, force: true });
}

function serve(root, profile) {
	const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
		'.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png' };
	const srv = http.createServer((req, res) => {
		const p = decodeURIComponent(req.url.split('?')[0]);
		const f = p === '/profile.json' || p === '/profile.txt' ? profile
			: path.join(root, path.normalize(p === '/' ? '/index.html' : p));
		if (f !== profile && !f.startsWith(root)) {
			res.writeHead(403);
			res.end();
			return;
		}
		fs.readFile(f, (err, data) => {
			if (err) {
				res.writeHead(404);
				res.end();
				return;
			}
			res.writeHead(200, { 'Content-Type': types[path.extname(f)] || 'application/octet-stream' });
			res.end(data);
		});
	});
	return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

async function speedscope(profile, shot) {
	const root = path.join(here, 'node_modules/speedscope/dist/release');
	const srv = await serve(root, path.resolve(profile));
	const port = srv.address().port;
	const b = await launch();
	const out = { errors: [], console: [] };
	try {
		const page = await b.ctx.newPage();
		page.on('pageerror', (e) => out.errors.push(e.message));
		page.on('console', (m) => out.console.push(m.text()));
		const url = `http://127.0.0.1:${port}/${/\.json$/.test(profile) ? 'profile.json' : 'profile.txt'}`;
		// speedscope logs "import: N ms" once a profile is in
		const imported = page.waitForEvent('console', {
			predicate: (m) => /^import: /.test(m.text()), timeout: 30000,
		}).catch(() => null);
		await page.goto(`http://127.0.0.1:${port}/index.html#profileURL=${encodeURIComponent(url)}`);
		await imported;
		step('imported');
		await page.waitForTimeout(300);
		out.imported = out.console.map((l) => /^Importing as (.*)/.exec(l)).filter(Boolean).map((m) => m[1])[0] || null;
		out.body = (await page.innerText('body')).slice(0, 4000);
		out.title = out.body.split('\n')[1] || null; /* the toolbar's middle */
		out.pwned = await page.evaluate(() => typeof window.wpPwned !== 'undefined');
		if (shot) {
			/* WebGL draws asynchronously: wait (a little) for the flame chart */
			for (let i = 0; i < 10; i++) {
				await page.screenshot({ path: shot });
				out.png = await png_stats(b.ctx, shot);
				if (out.png.colours > 20)
					break;
				await page.waitForTimeout(500);
			}
		}
		step('screenshot');
		/* the frames' file:line, as speedscope shows them: in Left Heavy,
		 * a click on a frame of the heaviest (leftmost) stack shows its
		 * stack below, "name (file:line)" per frame; the deepest one wins */
		await page.getByText('Left Heavy').first().click();
		await page.waitForTimeout(200);
		out.stack = [];
		for (let y = 150; y < 600; y += 10) {
			await page.mouse.click(40, y);
			const lines = (await page.innerText('body')).split('\n')
				.filter((l) => / \(.*\)$/.test(l) && !/^\d/.test(l) && l !== out.title)
				.map((l) => l.replace(/^> /, ''));
			if (lines.length > out.stack.length)
				out.stack = lines;
			else if (out.stack.length && !lines.length)
				break;
		}
		step('stack');
		await page.getByText('Sandwich').first().click();
		/* the table's rows: [total, self, name], e.g. ["2.02s (67%)", ...] */
		const rows = () => [...document.querySelectorAll('tr')]
			.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()))
			.filter((r) => r.length === 3 && /%\)$/.test(r[0]) && /%\)$/.test(r[1]));
		await page.waitForFunction(rows, null, { timeout: 10000 }).catch(() => {});
		await page.waitForTimeout(200);
		out.sandwich = await page.evaluate(`(${rows.toString()})()`);
		step('sandwich');
		/* the profile switcher: opened by a click on the title */
		if (out.title && /\(\d+\/\d+\)$/.test(out.title))
			await page.getByText(out.title, { exact: true }).first().click({ timeout: 3000 })
				.catch(() => {});
		await page.waitForTimeout(300);
		out.profiles = await page.evaluate(() => {
			for (const t of document.querySelectorAll('table')) {
				if (!/Total Weight/.test(t.innerText))
					continue;
				return [...t.querySelectorAll('tbody tr')].map((tr) => {
					const td = tr.querySelectorAll('td');
					return { name: tr.getAttribute('title'), total: td[2] ? td[2].innerText : null };
				});
			}
			return null;
		});
		step('profiles');
	} finally {
		await close(b);
		srv.closeAllConnections();
		srv.close();
		step('closed');
	}
	return out;
}

async function svg(file, shot, term, click) {
	const b = await launch();
	const out = { errors: [] };
	try {
		const page = await b.ctx.newPage();
		page.on('pageerror', (e) => out.errors.push(e.message));
		page.on('dialog', (d) => d.dismiss());
		step('launched');
		await page.goto(pathToFileURL(path.resolve(file)).href);
		step('loaded');
		await page.waitForFunction(() => typeof nodes !== 'undefined' && nodes.length > 0, null,
			{ timeout: 10000 }).catch(() => {});
		out.frames = await page.evaluate(() => document.querySelectorAll('#frames > g').length);
		out.scripts = await page.evaluate(() => document.getElementsByTagName('script').length);
		out.pwned = await page.evaluate(() => typeof window.wpPwned !== 'undefined');
		out.names = await page.evaluate(() =>
			[...document.querySelectorAll('#frames > g > title')].map((t) => t.textContent.split('\n')[0]));
		out.width = await page.evaluate(() => +document.documentElement.getAttribute('width'));
		step('inspected');
		await page.screenshot({ path: shot });
		step('screenshot');
		out.png = await png_stats(b.ctx, shot);
		step('png');
		if (term) {
			out.search = await page.evaluate((t) => search(t), term);
			out.matched = await page.evaluate(() => document.getElementById('matched').textContent);
			out.highlighted = await page.evaluate(() =>
				[...document.querySelectorAll('#frames rect')].filter((r) => r.getAttribute('fill') === 'rgb(230,0,230)').length);
		}
		step('searched');
		if (click) {
			const idx = out.names.indexOf(click);
			out.clicked = idx >= 0;
			if (idx >= 0) {
				const g = page.locator('#frames > g').nth(idx);
				out.before_click = +(await g.locator('rect').getAttribute('width'));
				await g.locator('rect').click();
				out.after_click = +(await g.locator('rect').getAttribute('width'));
				out.hidden_after_click = await page.evaluate(() => document.querySelectorAll('#frames > g.hide').length);
				out.unzoom_visible = await page.evaluate(() => !document.getElementById('unzoom').classList.contains('hide'));
				await page.locator('#unzoom').click();
				out.after_reset = +(await g.locator('rect').getAttribute('width'));
				out.hidden_after_reset = await page.evaluate(() => document.querySelectorAll('#frames > g.hide').length);
			}
		}
	} finally {
		await close(b);
	}
	return out;
}

async function chrome_trace(file) {
	const { analyzeTrace } = await import('@paulirish/trace_engine/analyze-trace.mjs');
	const { parsedTrace } = await analyzeTrace(file);
	const d = parsedTrace.data;
	const out = { bounds: d.Meta.traceBounds, threads: [] };
	for (const [pid, proc] of d.Renderer.processes)
		for (const [tid, th] of proc.threads)
			out.threads.push({ pid, tid, name: th.name,
				slices: th.entries.map((e) => `${e.name}@${e.ts}+${e.dur}`) });
	return out;
}

const [cmd, ...args] = process.argv.slice(2);
let res;
if (cmd === 'speedscope' && args.length >= 1)
	res = await speedscope(args[0], args[1]);
else if (cmd === 'svg' && args.length >= 2)
	res = await svg(args[0], args[1], args[2], args[3]);
else if (cmd === 'chrome' && args.length === 1)
	res = await chrome_trace(args[0]);
else {
	console.error('usage: client.mjs speedscope PROFILE [PNG] | svg FILE PNG [SEARCH [CLICK]] | chrome TRACE');
	process.exit(2);
}
process.stdout.write(JSON.stringify(res, null, 1) + '\n', () => process.exit(0));
