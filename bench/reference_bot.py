"""The reference for bench/throughput.py: a bot written like LINE's SDK examples, answering
inside the webhook request. Run as `gunicorn bench.reference_bot:app` with
LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_BASE_URL set."""

from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent

HELP = "คำสั่งที่ใช้ได้: รายงาน, สถานะ <โครงการ>, สรุป, ช่วยเหลือ"

app = Flask(__name__)
handler = WebhookHandler(os.environ["LINE_CHANNEL_SECRET"])
configuration = Configuration(host=os.environ["LINE_API_BASE_URL"],
                              access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"])
configuration.connection_pool_maxsize = 16
api = MessagingApi(ApiClient(configuration))


@app.post("/callback")
def callback() -> str:
    signature = request.headers.get("X-Line-Signature", "")
    try:
        handler.handle(request.get_data(as_text=True), signature)
    except InvalidSignatureError:
        abort(400)
    return "OK"


@handler.add(MessageEvent, message=TextMessageContent)
def on_text(event: MessageEvent) -> None:
    answer = HELP if event.message.text.strip() in ("ช่วยเหลือ", "help") else "พิมพ์ “ช่วยเหลือ” เพื่อดูคำสั่ง"
    api.reply_message(ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text=answer)]),
                      _request_timeout=(3, 10))
