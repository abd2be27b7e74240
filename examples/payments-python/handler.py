"""The payments example with Python handlers (see ../payments/handler.js)."""
import datetime
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class PaymentDeclined(Exception):
    pass


def processPayment(event, context):
    """Receives a payment from the "payments" topic. Payments over 1000 (or
    not positive) are declined on purpose, so the example shows both
    destinations: the success record goes to paymentsNotification, the
    failure record to paymentsDLQ."""
    payment = json.loads(event["Records"][0]["Sns"]["Message"])
    print("processing payment", payment["id"], "of", payment["amount"])
    amount = payment.get("amount")
    if not isinstance(amount, (int, float)) or not 0 < amount <= 1000:
        raise PaymentDeclined("payment %s declined: amount %s is outside 1-1000" % (payment["id"], amount))
    return {"id": payment["id"], "amount": amount, "status": "paid",
            "paidAt": datetime.datetime.now(datetime.timezone.utc).isoformat()}


def notifyCustomer(event, context):
    """Reads the success record out of the queue message."""
    for record in event["Records"]:
        receipt = json.loads(record["body"])["responsePayload"]
        print("notifying customer: payment %s of %s is %s" % (receipt["id"], receipt["amount"], receipt["status"]))


def notifyPaymentsTeam(event, context):
    """Reads the failure record out of the dead-letter queue."""
    for record in event["Records"]:
        invocation = json.loads(record["body"])
        payment = json.loads(invocation["requestPayload"]["Records"][0]["Sns"]["Message"])
        condition = invocation["requestContext"]["condition"]
        # EventAgeExceeded records have no response: the function never ran.
        response = invocation.get("responsePayload")
        reason = response["errorMessage"] if response else "the event expired before it could run"
        print("alerting payments team: payment %s failed (%s): %s" % (payment["id"], condition, reason))
