"""The ceiling on this machine: a FastAPI hello-world served the same way as jointuse."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
