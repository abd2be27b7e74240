'use strict';

// Not bundled: the runtime provides the AWS SDK v3 (Ferry's, under ferry up).
const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');
const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');

// Clients take their endpoint, region and credentials from the environment.
const sqs = new SQSClient({});
const sns = new SNSClient({});
const events = new EventBridgeClient({});
const lambda = new LambdaClient({});

exports.placeOrder = async (event) => {
  const order = JSON.parse(event.body || '{}');
  if (!order.id) {
    return { statusCode: 400, body: JSON.stringify({ error: 'an order needs an id' }) };
  }
  const body = JSON.stringify(order);
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.ORDERS_QUEUE_URL, MessageBody: body }));
  await sns.send(new PublishCommand({ TopicArn: process.env.ORDERS_TOPIC_ARN, Message: body }));
  const put = await events.send(new PutEventsCommand({
    Entries: [{ Source: 'orders.app', DetailType: 'OrderPlaced', Detail: body }],
  }));
  if (put.FailedEntryCount) {
    throw new Error(`PutEvents failed: ${JSON.stringify(put.Entries)}`);
  }
  await lambda.send(new InvokeCommand({
    FunctionName: process.env.AUDIT_FUNCTION, InvocationType: 'Event', Payload: body,
  }));
  console.log('placed order', order.id);
  return { statusCode: 202, body: JSON.stringify({ id: order.id, status: 'placed' }) };
};
