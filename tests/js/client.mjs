// SPDX-License-Identifier: MIT
//
// Load wp's output into the real clients, in headless Chromium, and print
// what they show as JSON on stdout (the shell tests assert on it).
//
//   node client.mjs speedscope PROFILE.json [SCREENSHOT.png]
//       speedscope's release build (npm package), served with the profile
//       from 127.0.0.1, imports it through #profileURL=; prints the
//       title bar, the profiles list (name, total), the Sandwich table of
//       the active profile (total, self, name) and any import error.
//   node client.mjs svg GRAPH.svg SCREENSHOT.png [SEARCH [CLICK]]
//       opens the SVG from file://, screenshots it, then drives its script:
//       search(SEARCH) (the matched share it shows), a click on the frame
//       named CLICK (its width afterwards: zoomed to the full width?) and
//       Reset Zoom; also counts the <script> elements (hostile names must
//       not have added any) and reports page errors.
//
// Chromium: /usr/bin/chromium (Debian), a fresh profile directory, no
// network but 127.0.0.1.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

async function launch() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wp-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: process.env.WP_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		viewport: { width: 1200, height: 800 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
	return { ctx, dir };
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
		const f = p === '/profile.json' ? profile
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
		const url = `http://127.0.0.1:${port}/profile.json`;
		await page.goto(`http://127.0.0.1:${port}/index.html#profileURL=${encodeURIComponent(url)}`);
		// imported: the toolbar names the profile and "(i/n)"
		await page.waitForFunction(() => /\(\d+\/\d+\)/.test(document.body.innerText), null,
			{ timeout: 20000 }).catch(() => {});
		out.imported = out.console.some((l) => /Importing as speedscope json file/.test(l));
		out.body = (await page.innerText('body')).slice(0, 4000);
		out.title = out.body.split('\n').find((l) => /\(\d+\/\d+\)/.test(l)) || null;
		if (shot)
			await page.screenshot({ path: shot });
		await page.getByText('Sandwich').first().click();
		await page.waitForTimeout(500);
		out.sandwich = await page.evaluate(() => {
			for (const t of document.querySelectorAll('table')) {
				if (!/Symbol Name/.test(t.innerText))
					continue;
				return [...t.querySelectorAll('tbody tr')].map((tr) =>
					[...tr.querySelectorAll('td')].map((td) => td.innerText.trim()));
			}
			return null;
		});
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
	} finally {
		await close(b);
		srv.close();
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
		await page.goto(pathToFileURL(path.resolve(file)).href);
		await page.waitForFunction(() => typeof nodes !== 'undefined' && nodes.length > 0, null,
			{ timeout: 10000 }).catch(() => {});
		out.frames = await page.evaluate(() => document.querySelectorAll('#frames > g').length);
		out.scripts = await page.evaluate(() => document.getElementsByTagName('script').length);
		out.pwned = await page.evaluate(() => typeof window.wpPwned !== 'undefined');
		out.names = await page.evaluate(() =>
			[...document.querySelectorAll('#frames > g > title')].map((t) => t.textContent.split('\n')[0]));
		out.width = await page.evaluate(() => +document.documentElement.getAttribute('width'));
		await page.screenshot({ path: shot });
		if (term) {
			out.search = await page.evaluate((t) => search(t), term);
			out.matched = await page.evaluate(() => document.getElementById('matched').textContent);
			out.highlighted = await page.evaluate(() =>
				[...document.querySelectorAll('#frames rect')].filter((r) => r.getAttribute('fill') === 'rgb(230,0,230)').length);
		}
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

const [cmd, ...args] = process.argv.slice(2);
let res;
if (cmd === 'speedscope' && args.length >= 1)
	res = await speedscope(args[0], args[1]);
else if (cmd === 'svg' && args.length >= 2)
	res = await svg(args[0], args[1], args[2], args[3]);
else {
	console.error('usage: client.mjs speedscope PROFILE [PNG] | svg FILE PNG [SEARCH [CLICK]]');
	process.exit(2);
}
process.stdout.write(JSON.stringify(res, null, 1) + '\n');
