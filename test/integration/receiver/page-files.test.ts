/**
 * The live page is ES modules (issue 12): the page server's allow-list covers every module that
 * index.html reaches through its imports, serves them as JavaScript, and nothing else in page/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpServer, Receiver } from '@udpcam/receiver';
import { request } from '../../helpers/http.js';

test('every module index.html imports, directly or not, is served as JavaScript; other files are not', async () => {
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  const web = await HttpServer.listen(receiver, { port: 0, host: '127.0.0.1' });
  try {
    const index = await request(`${web.url}index.html`);
    assert.equal(index.status, 200);
    const entry = /<script type="module" src="([\w-]+\.js)"><\/script>/.exec(index.body.toString())?.[1];
    assert.equal(entry, 'app.js');
    const seen = new Set<string>();
    for (const queue = [entry]; queue.length > 0; ) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const response = await request(`${web.url}${file}`);
      assert.equal(response.status, 200, file);
      assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8', file);
      for (const [, imported] of response.body
        .toString()
        .matchAll(/^import [^;]+ from '\.\/([\w-]+\.js)';$/gm)) {
        queue.push(imported!);
      }
    }
    assert.ok(seen.size >= 4, `${[...seen].join(', ')}: the page is split in modules`);
    for (const other of ['tsconfig.json', 'nothing.js', 'style.css/x']) {
      assert.equal((await request(`${web.url}${other}`)).status, 404, other);
    }
  } finally {
    await web.close();
    await receiver.close();
  }
});
