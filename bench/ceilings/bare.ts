// Ceiling 1: a bare Bun.serve that only parses the JSON body and answers 202.
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  async fetch(req) {
    await req.json().catch(() => null) // the start-up probe is a GET without a body
    return Response.json({ accepted: 1 }, { status: 202 })
  },
})
console.log(`listening ${server.port}`)
