package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"
)

// parseAttrs reads name=value string attributes.
func parseAttrs(kv []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range kv {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--attr %q: want name=value", a)
		}
		out[k] = v
	}
	return out, nil
}

// stringAttrs turns name=value pairs into an SDK's message attributes
// (nil when there are none).
func stringAttrs[T any](kv map[string]string, value func(string) T) map[string]T {
	if len(kv) == 0 {
		return nil
	}
	out := make(map[string]T, len(kv))
	for k, v := range kv {
		out[k] = value(v)
	}
	return out
}

func newSendCommand() *cobra.Command {
	var (
		f     clientFlags
		delay time.Duration
		attrs []string
	)
	cmd := &cobra.Command{
		Use:   "send QUEUE [body|@file|-]",
		Short: "Send a message to a queue; prints its message id",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := argBody(args[1])
			if err != nil {
				return err
			}
			a, err := parseAttrs(attrs)
			if err != nil {
				return err
			}
			url, err := f.queueURL(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body)), DelaySeconds: int32(delay / time.Second)}
			in.MessageAttributes = stringAttrs(a, func(v string) sqstypes.MessageAttributeValue {
				return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			})
			out, err := f.sqs().SendMessage(cmd.Context(), in)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), aws.ToString(out.MessageId))
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().DurationVar(&delay, "delay", 0, "delivery delay (0-15m)")
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "string message attribute name=value (repeatable)")
	return cmd
}

func newReceiveCommand() *cobra.Command {
	var (
		f          clientFlags
		max        int32
		wait       time.Duration
		visibility time.Duration
		keep       bool
	)
	cmd := &cobra.Command{
		Use:   "receive QUEUE",
		Short: "Receive messages from a queue and print them as JSON lines (deleted unless --keep)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url, err := f.queueURL(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in := &sqs.ReceiveMessageInput{
				QueueUrl: aws.String(url), MaxNumberOfMessages: max, WaitTimeSeconds: int32(wait / time.Second),
				MessageAttributeNames:       []string{"All"},
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			}
			if cmd.Flags().Changed("visibility") {
				in.VisibilityTimeout = int32(visibility / time.Second)
			}
			out, err := f.sqs().ReceiveMessage(cmd.Context(), in)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for _, m := range out.Messages {
				row := map[string]any{"messageId": m.MessageId, "body": m.Body, "attributes": m.Attributes}
				if len(m.MessageAttributes) > 0 {
					row["messageAttributes"] = m.MessageAttributes
				}
				if err := enc.Encode(row); err != nil {
					return err
				}
				if !keep {
					if _, err := f.sqs().DeleteMessage(cmd.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().Int32Var(&max, "max", 10, "most messages to receive (1-10)")
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Second, "long-poll wait (0-20s)")
	cmd.Flags().DurationVar(&visibility, "visibility", 0, "visibility timeout for the received messages")
	cmd.Flags().BoolVar(&keep, "keep", false, "do not delete the messages")
	return cmd
}

func newPublishCommand() *cobra.Command {
	var (
		f       clientFlags
		subject string
		attrs   []string
	)
	cmd := &cobra.Command{
		Use:   "publish TOPIC [message|@file|-]",
		Short: "Publish a message to a topic; prints its message id",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := argBody(args[1])
			if err != nil {
				return err
			}
			a, err := parseAttrs(attrs)
			if err != nil {
				return err
			}
			arn, err := f.topicName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in := &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(string(body))}
			if subject != "" {
				in.Subject = aws.String(subject)
			}
			in.MessageAttributes = stringAttrs(a, func(v string) snstypes.MessageAttributeValue {
				return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			})
			out, err := f.sns().Publish(cmd.Context(), in)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), aws.ToString(out.MessageId))
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&subject, "subject", "", "message subject")
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "string message attribute name=value (repeatable)")
	return cmd
}

func newPutEventsCommand() *cobra.Command {
	var (
		f                       clientFlags
		bus, source, detailType string
		detail                  string
		resources               []string
	)
	cmd := &cobra.Command{
		Use:   "put-events --source S --detail-type T --detail JSON [--bus B]",
		Short: "Put one event on an event bus; prints its event id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := argBody(detail)
			if err != nil {
				return err
			}
			out, err := f.events().PutEvents(cmd.Context(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
				EventBusName: aws.String(bus), Source: aws.String(source), DetailType: aws.String(detailType),
				Detail: aws.String(string(d)), Resources: resources,
			}}})
			if err != nil {
				return err
			}
			e := out.Entries[0]
			if e.ErrorCode != nil {
				return fmt.Errorf("%s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
			}
			fmt.Fprintln(cmd.OutOrStdout(), aws.ToString(e.EventId))
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&bus, "bus", "default", "event bus name or ARN")
	cmd.Flags().StringVar(&source, "source", "", "event source (required)")
	cmd.Flags().StringVar(&detailType, "detail-type", "", "event detail-type (required)")
	cmd.Flags().StringVar(&detail, "detail", "{}", "event detail: a JSON object, @file or -")
	cmd.Flags().StringArrayVar(&resources, "resource", nil, "resource ARN (repeatable)")
	_ = cmd.MarkFlagRequired("source")
	_ = cmd.MarkFlagRequired("detail-type")
	return cmd
}
